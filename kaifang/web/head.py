"""HEAD answers like GET without the body (RFC 9110 9.3.2): uptime monitors and link checkers ask with HEAD, and
FastAPI's routes declared for GET alone would answer 405."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


class HeadAsGetMiddleware:
    """A HEAD request runs as the GET of the same URL; the status and headers (Content-Length included) are sent,
    the body is not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        done = False

        async def send_headers_only(message: Any) -> None:
            nonlocal done
            if message["type"] != "http.response.body":
                await send(message)
            elif not done and not message.get("more_body", False):
                done = True  # the GET's last chunk: end the HEAD answer with an empty body
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
