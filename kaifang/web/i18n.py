"""Message catalogs: English msgids, Chinese (zh_CN) by default, English on request.

Every ``*.po`` file under ``locale/<lang>/LC_MESSAGES/`` is merged, so each domain keeps its own file.
Catalogs are read from the .po sources at start-up (no compile step to forget).
"""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANG = "zh_CN"
LANGUAGES = {"zh_CN": "简体中文", "en": "English"}

current_lang: ContextVar[str] = ContextVar("kaifang_lang", default=DEFAULT_LANG)


@lru_cache
def translations(lang: str) -> gettext.NullTranslations:
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    merged: gettext.NullTranslations = gettext.NullTranslations()
    files = sorted(folder.glob("*.po")) if folder.is_dir() else []
    for po in files:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        t = gettext.GNUTranslations(buf)
        if isinstance(merged, gettext.GNUTranslations):
            merged._catalog.update(t._catalog)  # type: ignore[attr-defined]
        else:
            merged = t
    return merged


def gettext_(message: str, **params: object) -> str:
    text = translations(current_lang.get()).gettext(message)
    return text % params if params else text


def ngettext_(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_lang.get()).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


_ = gettext_


def pick_lang(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANG


def gettext_in(lang: str, message: str, **params: object) -> str:
    """Translate for someone other than the current requester (e.g. an e-mail to a user)."""
    text = translations(pick_lang(lang)).gettext(message)
    return text % params if params else text
