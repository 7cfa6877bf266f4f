"""Row filters (A19.1): ``column__op=value``, values coerced to the declared type, compiled to parameterised SQL.

Only identifiers come from the declared schema (quoted); every value travels as a query parameter.
Comparison operators follow SQL: a NULL matches none of exact/ne/gt/gte/lt/lte/in/contains/startswith;
ask for it with ``isnull=true``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kaifang.datastore.schema import FieldSpec, FieldType

from . import errors
from .errors import QueryError

MAX_IN_VALUES = 1000
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_COMPARE = ("exact", "ne", "gt", "gte", "lt", "lte", "in", "isnull")
OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.STRING: (*_COMPARE, "contains", "startswith"),
    FieldType.INTEGER: _COMPARE,
    FieldType.DECIMAL: _COMPARE,
    FieldType.BOOLEAN: ("exact", "ne", "in", "isnull"),
    FieldType.DATE: _COMPARE,
    FieldType.DATETIME: _COMPARE,
}
ALL_OPERATORS = frozenset(op for ops in OPERATORS.values() for op in ops)

_SQL_OPS = {"exact": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_INTEGER = re.compile(r"^[+-]?\d{1,19}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}
_TYPE_NAMES = {FieldType.STRING: "text", FieldType.INTEGER: "whole number", FieldType.DECIMAL: "number",
               FieldType.BOOLEAN: "true/false value", FieldType.DATE: "date (YYYY-MM-DD)",
               FieldType.DATETIME: "date and time (ISO 8601)"}


@dataclass(frozen=True)
class Filter:
    """One condition on a column. ``value`` is a raw string (from a query string) or a typed Python value;
    for ``in`` a sequence (or comma-separated string), for ``isnull`` a boolean."""

    field: str
    op: str = "exact"
    value: Any = None


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _bad(spec: FieldSpec, value: Any, param: str | None) -> QueryError:
    return QueryError(errors.BAD_VALUE, param or spec.name, value=value, type=_TYPE_NAMES[spec.type],
                      column=spec.name)


def coerce_value(spec: FieldSpec, value: Any, param: str | None = None) -> Any:
    """The Python value of ``value`` (a string from a URL or an already typed value) for ``spec``'s type;
    ``param`` names the query parameter in the error."""
    t = spec.type
    if t is FieldType.STRING:
        if isinstance(value, str):
            return value
        raise _bad(spec, value, param)
    if t is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        s = str(value).strip().lower()
        if s in _TRUE or s in _FALSE:
            return s in _TRUE
        raise _bad(spec, value, param)
    if t is FieldType.INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            result = value
        elif isinstance(value, str) and _INTEGER.match(value.strip()):
            result = int(value.strip())
        else:
            raise _bad(spec, value, param)
        if not -(2**63) <= result < 2**63:
            raise _bad(spec, value, param)
        return result
    if t is FieldType.DECIMAL:
        if isinstance(value, bool):
            raise _bad(spec, value, param)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _bad(spec, value, param) from None
        if not math.isfinite(number):
            raise _bad(spec, value, param)
        return number
    if t is FieldType.DATE:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _DATE.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise _bad(spec, value, param)
    if t is FieldType.DATETIME:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and _DATETIME.match(value.strip()):
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                raise _bad(spec, value, param) from None
        else:
            raise _bad(spec, value, param)
        # Stored timestamps are local (Suzhou) wall-clock times without a zone.
        if moment.tzinfo is not None:
            moment = moment.astimezone(LOCAL_TZ).replace(tzinfo=None)
        return moment
    raise _bad(spec, value, param)  # pragma: no cover - every FieldType is handled above


def _split_values(value: Any) -> list[Any]:
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def normalize_filter(spec: FieldSpec, flt: Filter, param: str | None = None) -> Filter:
    """Check the operator against the column's type and coerce the value; returns a typed Filter."""
    ops = OPERATORS[spec.type]
    if flt.op not in ops:
        raise QueryError(errors.UNKNOWN_OPERATOR, param or spec.name, op=flt.op, column=spec.name,
                         ops=", ".join(ops))
    if flt.op == "isnull":
        if isinstance(flt.value, bool):
            return Filter(spec.name, "isnull", flt.value)
        s = str(flt.value).strip().lower()
        if s not in _TRUE and s not in _FALSE:
            raise QueryError(errors.BAD_VALUE, param or spec.name, value=flt.value,
                             type=_TYPE_NAMES[FieldType.BOOLEAN], column=f"{spec.name}__isnull")
        return Filter(spec.name, "isnull", s in _TRUE)
    if flt.op == "in":
        raw = _split_values(flt.value)
        if not raw or len(raw) > MAX_IN_VALUES:
            raise QueryError(errors.TOO_MANY_VALUES, param or spec.name, max=MAX_IN_VALUES,
                             param=f"{spec.name}__in")
        values = tuple(dict.fromkeys(_coerce_in(spec, v, param) for v in raw))
        return Filter(spec.name, "in", values)
    return Filter(spec.name, flt.op, coerce_value(spec, flt.value, param))


def _coerce_in(spec: FieldSpec, value: Any, param: str | None) -> Any:
    # Spaces after commas are a common habit in hand-written URLs; strings keep them.
    if isinstance(value, str) and spec.type is not FieldType.STRING:
        value = value.strip()
    return coerce_value(spec, value, param)


def compile_filter(flt: Filter) -> tuple[str, list[Any]]:
    """SQL for a normalised filter, with ``?`` placeholders and their parameters."""
    col = quote_ident(flt.field)
    if flt.op == "isnull":
        return f"{col} IS {'' if flt.value else 'NOT '}NULL", []
    if flt.op == "in":
        return f"{col} IN ({', '.join('?' * len(flt.value))})", list(flt.value)
    if flt.op == "contains":
        return f"contains({col}, ?)", [flt.value]
    if flt.op == "startswith":
        return f"starts_with({col}, ?)", [flt.value]
    return f"{col} {_SQL_OPS[flt.op]} ?", [flt.value]


def compile_where(filters: Iterable[Filter]) -> tuple[str, list[Any]]:
    """``WHERE ...`` (or an empty string) for normalised filters joined by AND."""
    parts: list[str] = []
    params: list[Any] = []
    for flt in filters:
        sql, p = compile_filter(flt)
        parts.append(sql)
        params.extend(p)
    return (f"WHERE {' AND '.join(parts)}" if parts else ""), params
