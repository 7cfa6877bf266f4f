"""Friendly error pages (403/404/500) and JSON errors under /api."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kaifang.security import BusinessRuleError, NotAuthenticated, NotFound, PermissionDenied
from kaifang.web.apideps import ApiError
from kaifang.web.i18n import gettext_
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


def _translate_param(value: object) -> object:
    # Workflow errors carry labels (state, transition, missing fields) as msgids, alone or in lists.
    if isinstance(value, str):
        return gettext_(value) if value else value
    if isinstance(value, list | tuple):
        return "、".join(str(_translate_param(v)) for v in value)
    return value


def translate_rule_error(exc: BusinessRuleError) -> str:
    return gettext_(exc.message, **{k: _translate_param(v) for k, v in exc.params.items()})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return JSONResponse({"error": {"status": exc.status, "message": gettext_(exc.msgid)}},
                            status_code=exc.status, headers=exc.headers)

    @app.exception_handler(NotAuthenticated)
    async def _login_first(request: Request, exc: NotAuthenticated) -> Response:
        if _is_api(request) or request.method != "GET":
            return error_response(request, 401 if _is_api(request) else 403,
                                  gettext_("Please sign in first."))
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied) -> Response:
        return error_response(request, 403)

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404)

    @app.exception_handler(BusinessRuleError)
    async def _rule(request: Request, exc: BusinessRuleError) -> Response:
        return error_response(request, 400, translate_rule_error(exc))

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
