"""Every GET route answers HEAD like GET, without the body (uptime monitors and link checkers use HEAD)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PAGES = ["/", "/catalog", "/services", "/about", "/interaction", "/statistics", "/showcase", "/healthz",
         "/login", "/register", "/api/openapi.json", "/static/kaifang.css", "/datasets/999999999",
         "/console/access"]


@pytest.mark.parametrize("path", PAGES)
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    get = client.get(path, follow_redirects=False)
    head = client.head(path, follow_redirects=False)
    assert head.status_code == get.status_code != 405
    assert head.content == b""
    assert head.headers.get("content-type") == get.headers.get("content-type")
    static = get.headers.get("content-type", "").startswith(("text/css", "application/json"))
    if static and "content-length" in get.headers:
        assert head.headers["content-length"] == get.headers["content-length"]


def test_head_of_a_route_without_get_is_still_refused(client: TestClient) -> None:
    assert client.head("/logout", follow_redirects=False).status_code == 405
