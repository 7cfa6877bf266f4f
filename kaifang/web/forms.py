"""Small helpers for form pages."""

from __future__ import annotations

from kaifang.web.i18n import gettext_


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after a form, never another site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def translate_errors(errors: dict[str, str]) -> dict[str, str]:
    return {field: gettext_(msgid) for field, msgid in errors.items()}
