"""The reading use cases (A9.2, A16.2, A19.1, A20.4, A22.1): the dataset page offers exactly what the access
decision opens to the reader (a grantee: the deliveries of their grant), and a refused or faulty read is answered
in JSON with the status of its error."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kaifang.audit import AccessLog
from kaifang.datastore.engine import connection
from tests.access.factories import GRANTED, conditional_register, in_force, people
from tests.personas import World, login

NOT_COVERED = "您获批的申请不包含此种数据获取方式。"
NEEDS_GRANT = "该数据目录属于有条件开放类，仅向申请获批的利用主体提供数据。"
COVERED = "您获批的申请涵盖此获取方式：仅提供申请获批的数据项和数据行。"


def section(page: str, name: str) -> str:
    return page.split(f'<section id="{name}"', 1)[1].split("</section>", 1)[0]


def links(page: str, entry_id: int) -> tuple[list[str], list[str]]:
    """The download links and the data API example links of the dataset page."""
    downloads = re.findall(rf'href="(/datasets/{entry_id}/download/[^"]*)"', section(page, "downloads"))
    api = re.findall(rf'href="([^"]*/api/v1/datasets/{entry_id}/records[^"]*)"', section(page, "api"))
    return [html.unescape(h) for h in downloads], [html.unescape(h) for h in api]


@pytest.mark.parametrize(("deliveries", "downloads_open", "api_open"), [
    (["download", "api"], True, True),
    (["api"], False, True),
    (["download"], True, False),
])
def test_a_grantee_is_offered_exactly_the_deliveries_of_their_grant_A20_4_A22_1(
        client: TestClient, session, settings, world: World, tmp_path, deliveries, downloads_open, api_open) -> None:
    entry = conditional_register(session, settings, world, tmp_path)
    in_force(session, people(session, world), entry.id, deliveries=deliveries)
    login(client, world.emails["company"])
    page = client.get(f"/datasets/{entry.slug}").text
    downloads, api = links(page, entry.id)
    assert bool(downloads) == downloads_open and bool(api) == api_open
    # Every link the page shows is served; every delivery it does not offer is refused, and the page says why.
    for href in downloads[:1] + api:
        assert client.get(href.replace("http://testserver", "")).status_code == 200, href
    if downloads_open:
        assert len(downloads) == 6 and COVERED in section(page, "downloads")
    else:
        assert NOT_COVERED in section(page, "downloads")
        assert client.get(f"/datasets/{entry.id}/download/csv").status_code == 403
    if api_open:
        # The examples and the example answer use only the granted data items.
        api_text = section(page, "api")
        assert "_fields=" + "%2C".join(GRANTED) in api_text
        assert "uscc" not in api_text and "legal_person" not in api_text
        assert COVERED in api_text
    else:
        assert NOT_COVERED in section(page, "api")
        assert client.get(f"/api/v1/datasets/{entry.id}/records").status_code == 403


@pytest.mark.parametrize("persona", ["anonymous", "citizen"])
def test_without_a_grant_the_page_offers_no_delivery_of_conditional_data_A7_3(
        client: TestClient, session, settings, world: World, tmp_path, persona) -> None:
    entry = conditional_register(session, settings, world, tmp_path)
    in_force(session, people(session, world), entry.id)  # the company's grant opens nothing to anyone else
    if persona != "anonymous":
        login(client, world.emails[persona])
    page = client.get(f"/datasets/{entry.slug}").text
    assert links(page, entry.id) == ([], [])
    assert NEEDS_GRANT in section(page, "downloads") and NEEDS_GRANT in section(page, "api")


def test_unconditional_data_is_offered_to_anyone_A7_4(client: TestClient, session, settings, world: World,
                                                       tmp_path) -> None:
    entry = conditional_register(session, settings, world, tmp_path, open_class="unconditional", name="开放登记")
    downloads, api = links(client.get(f"/datasets/{entry.slug}").text, entry.id)
    assert len(downloads) == 6 and len(api) == 3
    assert COVERED not in client.get(f"/datasets/{entry.slug}").text


def _reads(session, entry_id: int) -> list[tuple[str, str]]:
    return [tuple(r) for r in session.execute(select(AccessLog.channel, AccessLog.outcome)
                                              .where(AccessLog.entry_id == entry_id).order_by(AccessLog.id))]


def test_a_refused_read_is_logged_and_answered_in_json_A9_4(client: TestClient, session, settings, world: World,
                                                            tmp_path) -> None:
    entry = conditional_register(session, settings, world, tmp_path)
    r = client.get(f"/api/v1/datasets/{entry.id}/records")
    assert r.status_code == 403 and r.json() == {"error": {"status": 403, "message": NEEDS_GRANT}}
    r = client.get(f"/datasets/{entry.id}/download/xlsx")
    assert r.status_code == 403 and r.json()["error"]["message"] == NEEDS_GRANT
    assert _reads(session, entry.id) == [("api", "refused"), ("download:xlsx", "refused")]


def test_a_faulty_query_names_its_field_and_a_slow_one_answers_408_A19_1(
        client: TestClient, session, settings, world: World, tmp_path, monkeypatch) -> None:
    entry = conditional_register(session, settings, world, tmp_path, open_class="unconditional", name="开放登记")
    r = client.get(f"/api/v1/datasets/{entry.id}/records", params={"nope": "1"})
    assert r.status_code == 400
    assert r.json() == {"error": {"status": 400, "message": "字段不存在：nope", "field": "nope"}}
    r = client.get(f"/datasets/{entry.id}/download/pdf")
    assert r.status_code == 404 and r.json()["error"]["field"] == "fmt" and "pdf" in r.json()["error"]["message"]
    # Every query slot of the engine busy: the query waits for its turn past the time limit.
    monkeypatch.setattr(settings, "query_timeout_seconds", 0.2)
    with engine_busy():
        r = client.get(f"/api/v1/datasets/{entry.id}/records", params={"_sort": "-capital"})
    assert r.status_code == 408
    assert r.json() == {"error": {"status": 408, "message": "查询超过 0.2 秒仍未完成。请增加筛选条件或减少返回行数。"}}
    # Grouped aggregates are the same read (one access-log entry each); the unknown format was never read.
    r = client.get(f"/api/v1/datasets/{entry.id}/records", params={"_group_by": "district"})
    assert r.status_code == 200 and {g["district"]: g["count"] for g in r.json()["groups"]}["昆山市"] == 3
    assert _reads(session, entry.id) == [("api", "served")] * 3


@contextmanager
def engine_busy() -> Iterator[None]:
    taken = 0
    try:
        while connection._slots.acquire(blocking=False):
            taken += 1
        yield
    finally:
        for _ in range(taken):
            connection._slots.release()


def test_a_hidden_dataset_answers_like_a_missing_one(client: TestClient, session, settings, world: World,
                                                     tmp_path) -> None:
    missing = session.execute(select(func.max(AccessLog.entry_id))).scalar() or 0
    assert client.get(f"/api/v1/datasets/{missing + 10_000}/records").status_code == 404
    assert client.get(f"/datasets/{missing + 10_000}/download/csv").status_code == 404
