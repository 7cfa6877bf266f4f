"""Jinja2 environment: one loader over every domain's templates, i18n, and helpers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from kaifang import i18n
from kaifang.web.console import console_menu
from kaifang.web.csrf import csrf_token
from kaifang.workdays import SHANGHAI as SHANGHAI  # Beijing time, for pages and their helpers

PKG = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[str]:
    dirs = [str(PKG / "web" / "templates")]
    dirs += sorted(str(p) for p in PKG.glob("*/templates") if p.parent.name != "web")
    return dirs


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(SHANGHAI).strftime(fmt)


ROLE_MSGIDS = {
    "user": "Data user",
    "provider_staff": "Provider data staff",
    "provider_cdo": "Chief data officer",
    "district_bureau": "District big data bureau",
    "city_bureau": "City big data bureau",
    "operator": "Platform operator",
    "expert": "Expert committee member",
    "supervisor": "Security supervisor",
}


def role_label(role: str) -> str:
    """The msgid naming a role (translate it with _() in the template)."""
    return ROLE_MSGIDS.get(str(role), str(role))


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(_template_dirs())]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters["local_time"] = local_time
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.globals["role_label"] = role_label
    env.globals["console_menu"] = console_menu
    return Jinja2Templates(env=env)


templates = make_templates()


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Any:
    ctx: dict[str, Any] = {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": csrf_token(request),
        "lang": i18n.current_lang.get(),
        "flash": request.session.pop("flash", None),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def flash(request: Request, message: str, kind: str = "success") -> None:
    """A one-time message shown on the next page (already translated)."""
    request.session["flash"] = {"message": message, "kind": kind}
