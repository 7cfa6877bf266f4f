"""Message catalogs: English msgids, Chinese (zh_CN) by default, English on request.

Every ``*.po`` file under ``locale/<lang>/LC_MESSAGES/`` is merged, so each domain keeps its own file.
Catalogs are read from the .po sources at start-up (no compile step to forget).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kaifang.errors import KaifangError, Message, as_message

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


def _param(lang: str, value: object) -> object:
    # A parameter that is a Message is translated; so is a plain string that is a msgid of the catalogs (the
    # labels of states, transitions and fields travel that way); a list of them is joined.
    if isinstance(value, Message):
        return translate(value, lang)
    if isinstance(value, str):
        return translations(lang).gettext(value) if value else value
    if isinstance(value, list | tuple):
        return "、".join(str(_param(lang, v)) for v in value)
    return value


def translate(value: str | Message | KaifangError, lang: str | None = None) -> str:
    """An error or a message, in ``lang`` (the current request's language when not given). This is the one
    place where a msgid and its parameters become a sentence for a person."""
    msg = as_message(value)
    lang = pick_lang(lang or current_lang.get())
    text = translations(lang).gettext(msg.msgid)
    if not msg.params:
        return text
    params = {k: _param(lang, v) for k, v in msg.params.items()}
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        return text


def translate_all(errors: Mapping[str, str | Message], lang: str | None = None) -> dict[str, str]:
    """Field problems (field -> msgid or ``Message``) in the reader's language."""
    return {key: translate(value, lang) for key, value in errors.items()}
