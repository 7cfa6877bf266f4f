"""Small helpers for form pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from kaifang.web.i18n import gettext_


async def posted_form(request: Request) -> FormData:
    return await request.form()


# A route parameter holding the whole posted form (multi-valued fields included).
Posted = Annotated[FormData, Depends(posted_form)]


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after a form, never another site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    return target


def translate_errors(errors: dict[str, str]) -> dict[str, str]:
    return {field: gettext_(msgid) for field, msgid in errors.items()}
