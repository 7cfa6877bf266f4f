"""One error family for the whole platform: every message is an English msgid plus parameters.

Services raise these; nothing below the web layer formats a sentence for a person. The edge (a page, the JSON
API, the command line) translates them into the reader's language with ``kaifang.i18n.translate``. The HTTP
status an error answers with is a property of its class.

- ``NotAuthenticated`` (401 / sign-in page), ``PermissionDenied`` (403), ``NotFound`` (404: a hidden object
  answers exactly like a missing one);
- ``BusinessRuleError`` (400): a request that breaks a rule, optionally naming the ``field`` at fault;
- ``ValidationErrors`` (400): several field problems at once, each a ``Message``;
- ``QueryError`` (400) and ``QueryTimeout`` (408): what a reader's data query can get wrong;
- ``ApiError``: an HTTP-level refusal of the API (unknown key, rate limit) with its own status and headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Message:
    """A msgid and its parameters, not yet translated. A parameter that is itself a ``Message`` (or a list
    of them) is translated too; a plain value is shown as it is."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def english(self) -> str:
        params = {k: _english(v) for k, v in self.params.items()}
        try:
            return self.msgid % params if params else self.msgid
        except (KeyError, ValueError, TypeError):
            return self.msgid


def _english(value: Any) -> Any:
    if isinstance(value, Message):
        return value.english()
    if isinstance(value, list | tuple):
        return ", ".join(str(_english(v)) for v in value)
    return value


def as_message(value: str | Message | KaifangError) -> Message:
    """A msgid, a ``Message`` or an error, as a ``Message``."""
    if isinstance(value, Message):
        return value
    if isinstance(value, KaifangError):
        return value.as_message()
    return Message(value)


class KaifangError(Exception):
    """The base of every error a person may see. ``msgid`` is English with ``%(name)s`` placeholders."""

    status: ClassVar[int] = 400
    default_msgid: ClassVar[str] = "The request could not be processed"

    def __init__(self, msgid: str | None = None, field: str | None = None, **params: Any) -> None:
        self.msgid = msgid or self.default_msgid
        self.field = field
        self.params = params
        super().__init__(self.english())

    def as_message(self) -> Message:
        return Message(self.msgid, self.params)

    def english(self) -> str:
        return self.as_message().english()

    @property
    def message(self) -> str:
        """The msgid (kept for callers that compare against a constant)."""
        return self.msgid


class NotAuthenticated(KaifangError):
    """The caller must sign in first."""

    status = 401
    default_msgid = "Please sign in first."


class PermissionDenied(KaifangError):
    """The caller is known but may not do this."""

    status = 403
    default_msgid = "You do not have permission to view this page"


class NotFound(KaifangError):
    """The object does not exist, or exists but is hidden from the caller: the two answer alike."""

    status = 404
    default_msgid = "Page not found"


class BusinessRuleError(KaifangError):
    """A request that breaks a business rule; ``field`` names the input at fault, when there is one."""


CORRECT_MARKED = "Please correct the marked fields."


class ValidationErrors(BusinessRuleError):
    """Several field problems reported at once: ``errors`` maps a field to a ``Message``."""

    def __init__(self, errors: Mapping[str, str | Message | KaifangError], msgid: str = CORRECT_MARKED) -> None:
        self.errors: dict[str, Message] = {k: as_message(v) for k, v in errors.items()}
        super().__init__(msgid)


class QueryError(BusinessRuleError, ValueError):
    """A data query the engine refuses: unknown column, bad value, bad token... ``field`` names the culprit."""

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.english(), "field": self.field, "msgid": self.msgid,
                "params": {k: str(v) for k, v in self.params.items()}}


class QueryTimeout(QueryError):
    """The query ran past its time limit and was interrupted."""

    status = 408
    MSGID = "The query took longer than %(seconds)s seconds. Add filters or ask for fewer rows."

    def __init__(self, seconds: float) -> None:
        super().__init__(self.MSGID, None, seconds=f"{seconds:g}")


class ApiError(KaifangError):
    """An API refusal with its own HTTP status and headers (unknown key, rate limit)."""

    def __init__(self, status: int, msgid: str, headers: dict[str, str] | None = None, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.status = status  # type: ignore[misc]
        self.headers = headers or {}
