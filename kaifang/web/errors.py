"""Friendly error pages (403/404/500) and JSON errors under /api."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kaifang.errors import KaifangError, NotAuthenticated, NotFound, PermissionDenied
from kaifang.i18n import gettext_, translate
from kaifang.web.templating import render

log = logging.getLogger("kaifang.web")

TITLES = {
    400: "The request could not be processed",
    403: "You do not have permission to view this page",
    404: "Page not found",
    405: "This action is not allowed here",
    500: "Something went wrong on our side",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, detail: str | None = None) -> Response:
    title = gettext_(TITLES.get(status, TITLES[400]))
    if _is_api(request):
        return JSONResponse({"error": {"status": status, "message": detail or title}}, status_code=status)
    return render(request, "errors/error.html", {"status": status, "title": title, "detail": detail},
                  status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _login_first(request: Request, exc: NotAuthenticated) -> Response:
        if _is_api(request) or request.method != "GET":
            return error_response(request, 401 if _is_api(request) else 403, translate(exc))
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(KaifangError)
    async def _refused(request: Request, exc: KaifangError) -> Response:
        # 403 and 404 pages keep their own title and say nothing more (a hidden object answers like a missing one).
        detail = None if isinstance(exc, PermissionDenied | NotFound) else translate(exc)
        if _is_api(request):
            message = detail or gettext_(TITLES.get(exc.status, TITLES[400]))
            body: dict[str, object] = {"status": exc.status, "message": message}
            if exc.field:
                body["field"] = exc.field
            return JSONResponse({"error": body}, status_code=exc.status, headers=getattr(exc, "headers", None))
        return error_response(request, exc.status, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 403 and exc.detail == "csrf":
            return error_response(request, 403, gettext_(
                "The form has expired or was not sent from this site. Please go back, reload the page and try again."))
        return error_response(request, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
        if _is_api(request):
            return JSONResponse({"error": {"status": 422, "message": "invalid request", "details": exc.errors()}},
                                status_code=422)
        return error_response(request, 400, gettext_("Invalid or missing fields: %(fields)s", fields=fields))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500)
