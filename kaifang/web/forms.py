"""The one form pattern of the web layer.

A POST handler is a few lines::

    @router.post("/{app_id}/accept")
    def accept(request: Request, db: DB, principal: Me, app_id: int, form: Annotated[
            Submitted[AcceptInput], Depends(form_of(AcceptInput))]) -> Response:
        return act(request, form, lambda data: services.accept_application(db, principal, app_id, data),
                   done="The application has been accepted.", then=f"/console/access/{app_id}",
                   rerender=lambda problem: _detail(request, db, principal, app_id, problem, 400),
                   name="accept")

``form_of(Model)`` parses the posted form into a pydantic model (every problem at once, as msgids); ``act()``
runs the service, and on a refusal (a parse problem or any ``BusinessRuleError``) calls ``rerender`` with a
``Problem`` that holds every message, translated, next to its input, and the values sent; on success it
flashes ``done`` and redirects to ``then``. Templates show a ``Problem`` with the macros of
``web/templates/macros.html`` (``problem_box``, ``field_error``, ``error_class``, ``sent``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from kaifang.errors import CORRECT_MARKED, BusinessRuleError, Message, ValidationErrors, as_message
from kaifang.i18n import translate, translate_all
from kaifang.web.templating import flash

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


async def posted_form(request: Request) -> FormData:
    return await request.form()


# A route parameter holding the whole posted form (multi-valued fields included).
Posted = Annotated[FormData, Depends(posted_form)]

# What pydantic's error types mean to a person (msgids); anything else is "not valid".
_PYDANTIC_MSGIDS = {
    "missing": "This field is required.",
    "string_too_short": "This field is required.",
    "string_too_long": "At most %(max_length)s characters.",
    "too_long": "At most %(max_length)s entries.",
    "int_parsing": "Please enter a whole number.",
    "int_from_float": "Please enter a whole number.",
    "float_parsing": "Please enter a number.",
    "greater_than_equal": "At least %(ge)s.",
    "greater_than": "More than %(gt)s.",
    "less_than_equal": "At most %(le)s.",
    "less_than": "Less than %(lt)s.",
    "date_from_datetime_parsing": "Please enter a date (YYYY-MM-DD).",
    "date_parsing": "Please enter a date (YYYY-MM-DD).",
    "enum": "Please choose one of the options.",
    "literal_error": "Please choose one of the options.",
    "bool_parsing": "Please choose yes or no.",
    "value_error": "This value is not valid.",
}
NOT_VALID = "This value is not valid."


def pydantic_problems(exc: ValidationError) -> dict[str, Message]:
    """pydantic's errors as field -> ``Message``; the first problem of each field. A ``value_error`` raised
    by a validator with a msgid keeps it (``ValueError("English msgid")``)."""
    out: dict[str, Message] = {}
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "form"
        if key in out:
            continue
        kind = err["type"]
        ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, int | float | str)}
        if kind == "value_error" and isinstance((err.get("ctx") or {}).get("error"), ValueError):
            out[key] = Message(str(err["ctx"]["error"]))
        else:
            out[key] = Message(_PYDANTIC_MSGIDS.get(kind, NOT_VALID), ctx)
    return out


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, set, tuple, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return False


@dataclass
class Submitted(Generic[M]):
    """A posted form: the values as sent (to fill the form again), the parsed model when it parsed, and the
    problems found while parsing (field -> ``Message``)."""

    values: dict[str, Any]
    data: M | None
    errors: dict[str, Message] = field(default_factory=dict)


def parse_form(model: type[M], posted: FormData | Mapping[str, Any]) -> Submitted[M]:
    values: dict[str, Any] = {}
    multi = {name for name, f in model.model_fields.items() if _is_list(f.annotation)}
    keys = posted.keys() if isinstance(posted, FormData) else list(posted)
    for key in dict.fromkeys(keys):
        items = posted.getlist(key) if isinstance(posted, FormData) else posted[key]
        items = items if isinstance(items, list) else [items]
        texts = [str(v) for v in items if not isinstance(v, UploadFile)]
        values[key] = texts if key in multi else (texts[-1] if texts else "")
    try:
        return Submitted(values, model.model_validate(values))
    except ValidationError as exc:
        return Submitted(values, None, pydantic_problems(exc))


def form_of(model: type[M]) -> Callable[[Request], Awaitable[Submitted[M]]]:
    """A FastAPI dependency: the posted form parsed into ``model``."""

    async def parse(request: Request) -> Submitted[M]:
        return parse_form(model, await request.form())

    parse.__name__ = f"form_of_{model.__name__}"
    return parse


@dataclass
class Problem:
    """A refused action, shown next to its form. ``form`` names the form on the page, ``message`` the summary,
    ``errors`` the translated message of each input at fault that the form shows, ``listed`` the messages
    with no input of their own, ``values`` what was sent (to fill the form again). All already translated."""

    form: str
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, form: str, exc: BusinessRuleError | Mapping[str, str | Message],
           values: Mapping[str, Any] | None = None,
           placed: Iterable[str] | None = None) -> Problem:
        """The problem of a refusal. ``placed`` are the inputs the form shows (None: every field named); a
        field problem for an input the form does not show is listed in the box instead (a single refusal naming
        such an input is the box's message itself). The elements of a list parameter the message does not name
        are listed too."""
        shown_inputs = None if placed is None else set(placed)
        if isinstance(exc, ValidationErrors):
            found, summary = dict(exc.errors), translate(exc)
        elif isinstance(exc, BusinessRuleError):
            shows = shown_inputs is None or exc.field in shown_inputs
            found = {exc.field: as_message(exc)} if exc.field and shows else {}
            summary = translate(exc)
        else:
            found, summary = {k: as_message(v) for k, v in exc.items()}, translate(ValidationErrors(exc))
        shown = set(found) if shown_inputs is None else shown_inputs
        errors = translate_all({k: v for k, v in found.items() if k in shown})
        listed = [translate(v) for k, v in found.items() if k not in shown]
        if isinstance(exc, BusinessRuleError) and not isinstance(exc, ValidationErrors):
            listed += _unnamed_items(exc)
            if errors:
                summary = translate(Message(CORRECT_MARKED))
        return cls(form, summary, errors, listed, dict(values or {}))


def _unnamed_items(exc: BusinessRuleError) -> list[str]:
    """The elements of a list parameter the message does not name, translated: what a refusal lists under its
    message (the A14.2 elements an entry lacks, the reviews still needed ...)."""
    items: list[str] = []
    for key, value in exc.params.items():
        if isinstance(value, list | tuple) and f"%({key})" not in exc.msgid:
            items += [translate(as_message(v)) for v in value if isinstance(v, str | Message)]
    return items


def act(request: Request, form: Submitted[M] | Mapping[str, Any] | None, call: Callable[..., T], *,
        done: str | Message | Callable[[T], str | Message], then: str | Callable[[T], str],
        rerender: Callable[[Problem], Response], name: str = "", placed: Iterable[str] | None = None) -> Response:
    """Run one service for a posted form. ``call`` takes the parsed model when ``form`` is a ``Submitted``,
    nothing otherwise. Every problem (parsing and the service's refusal) comes back at once through
    ``rerender``; on success ``done`` is flashed and the browser goes to ``then`` (303)."""
    values: Mapping[str, Any] = form.values if isinstance(form, Submitted) else (form or {})
    if isinstance(form, Submitted) and (form.errors or form.data is None):
        return rerender(Problem.of(name, form.errors, values, placed))
    try:
        result = call(form.data) if isinstance(form, Submitted) else call()
    except BusinessRuleError as exc:
        return rerender(Problem.of(name, exc, values, placed))
    message = done(result) if callable(done) else done
    flash(request, translate(message))
    target = then(result) if callable(then) else then
    return RedirectResponse(target, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after a form, never another site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    return target

