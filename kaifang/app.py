"""The FastAPI application: one app, JSON API under /api, server-rendered pages elsewhere."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from kaifang import __version__, i18n
from kaifang.audit import RequestContext, current_request
from kaifang.config import Settings, get_settings
from kaifang.db import make_engine, make_sessionmaker
from kaifang.security import ANONYMOUS, Principal
from kaifang.tasks import JobQueue
from kaifang.web.errors import install_error_handlers
from kaifang.web.head import HeadAsGetMiddleware
from kaifang.web.ratelimit import make_rate_limiter

log = logging.getLogger("kaifang")


class RequestContextMiddleware:
    """Per request: a request id, the client IP, the language and the principal behind the session cookie."""

    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session]) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from kaifang.accounts import load_principal

        request = Request(scope)
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        ip = request.client.host if request.client else None
        principal: Principal = ANONYMOUS
        uid = request.session.get("uid")
        if uid is not None:
            with self.sessions() as session:
                found = load_principal(session, ANONYMOUS, int(uid), int(request.session.get("epoch", -1)))
            if found is None:  # the account is gone or closed, or signed out everywhere
                request.session.clear()
            else:
                principal = found
        scope.setdefault("state", {})["principal"] = principal
        scope["state"]["request_id"] = request_id
        lang = i18n.pick_lang(request.session.get("lang") or (principal.lang if principal.user_id else None))
        t1 = current_request.set(RequestContext(request_id=request_id[:64], ip=ip))
        t2 = i18n.current_lang.set(lang)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()[:64]))
                headers.append((b"content-language", lang.replace("_", "-").encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request.reset(t1)
            i18n.current_lang.reset(t2)


def create_app(
    settings: Settings | None = None,
    sessions: sessionmaker[Session] | None = None,
    queue: JobQueue | None = None,
    start_worker: bool | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    if sessions is None:
        sessions = make_sessionmaker(make_engine(settings.database_url))
    if queue is None:
        queue = JobQueue(settings, sessions)
    sessions.configure(info={"settings": settings, "queue": queue})
    run_worker = settings.jobs_backend == "embedded" and settings.jobs_embedded_worker
    if start_worker is not None:
        run_worker = start_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            queue.start_worker()
        try:
            yield
        finally:
            queue.stop_worker()

    app = FastAPI(title="Kaifang 开放", version=__version__, lifespan=lifespan,
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.queue = queue
    app.state.rate_limiter = make_rate_limiter(settings)

    app.add_middleware(RequestContextMiddleware, sessions=sessions)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="kaifang_session",
                       max_age=settings.session_max_age, same_site="lax", https_only=settings.cookie_secure)
    app.add_middleware(HeadAsGetMiddleware)  # outermost: every layer below sees the GET it answers
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")

    from kaifang.notify.routes.pages import show_unread_count
    from kaifang.routes import include_all

    include_all(app)
    show_unread_count()  # base.html's count of unread messages
    return app
