"""Keyset paging (A19.1): the opaque ``next`` token and the SQL condition "rows after this one".

Rows are ordered by the requested sort keys (NULLs last in both directions) and then by the row's position
in the Parquet file (``file_row_number``), which is unique and stable because a published file never
changes. The token carries the last row's sort values and position, plus a short hash of the query's shape
(sort, filters, projection) so that it cannot be replayed against another query. Field selection and the
page size are not part of the shape: they may change from page to page.

The token is not signed: forging one only moves the start of a page the reader may read anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from kaifang.datastore.schema import FieldSpec

from . import errors
from .errors import QueryError
from .filters import coerce_value, quote_ident

if TYPE_CHECKING:
    from .parse import RecordQuery, SortKey

ROW_NUMBER = "file_row_number"
_VERSION = 1


@dataclass(frozen=True)
class Cursor:
    values: tuple[Any, ...]
    row_number: int


def shape_hash(query: RecordQuery, projection_fingerprint: str) -> str:
    shape = {
        "v": _VERSION,
        "sort": [[k.field, k.descending] for k in query.sort],
        "filters": [[f.field, f.op, _to_json(f.value)] for f in query.filters],
        "projection": projection_fingerprint,
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def encode_token(values: tuple[Any, ...] | list[Any], row_number: int, shape: str) -> str:
    payload = {"k": [_to_json(v) for v in values], "r": int(row_number), "h": shape}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, shape: str, specs: list[FieldSpec]) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
        payload = json.loads(raw)
        values, row_number, token_shape = payload["k"], payload["r"], payload["h"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise QueryError(errors.TOKEN_INVALID, "_next") from None
    if token_shape != shape:
        raise QueryError(errors.TOKEN_MISMATCH, "_next")
    if (not isinstance(values, list) or len(values) != len(specs) or not isinstance(row_number, int)
            or isinstance(row_number, bool) or row_number < 0):
        raise QueryError(errors.TOKEN_INVALID, "_next")
    try:
        typed = tuple(None if v is None else coerce_value(spec, v) for spec, v in zip(specs, values, strict=True))
    except QueryError:
        raise QueryError(errors.TOKEN_INVALID, "_next") from None
    return Cursor(typed, row_number)


def order_by(sort: tuple[SortKey, ...]) -> str:
    keys = [f"{quote_ident(k.field)} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in sort]
    return ", ".join([*keys, f"{ROW_NUMBER} ASC"])


def after_condition(sort: tuple[SortKey, ...], cursor: Cursor) -> tuple[str, list[Any]]:
    """SQL true for the rows that come after ``cursor`` in ``order_by(sort)``.

    Lexicographic "greater than" spelled out as an OR of (equal prefix AND next key after), because
    NULLs sort last and a row value comparison would not handle them nor mixed directions."""
    terms: list[str] = []
    params: list[Any] = []
    prefix: list[tuple[str, list[Any]]] = []
    for key, value in zip(sort, cursor.values, strict=True):
        col = quote_ident(key.field)
        if value is not None:  # nothing sorts after NULL within a key: NULLs are last
            after = (f"({col} {'<' if key.descending else '>'} ? OR {col} IS NULL)", [value])
            terms.append(_and([*prefix, after], params))
            prefix.append((f"{col} = ?", [value]))
        else:
            prefix.append((f"{col} IS NULL", []))
    terms.append(_and([*prefix, (f"{ROW_NUMBER} > ?", [cursor.row_number])], params))
    condition = " OR ".join(f"({t})" for t in terms)
    # A redundant bound on the first key lets DuckDB skip row groups by their min/max statistics.
    if sort:
        first, value = sort[0], cursor.values[0]
        col = quote_ident(first.field)
        if value is None:
            return f"{col} IS NULL AND ({condition})", params
        bound = f"({col} {'<=' if first.descending else '>='} ? OR {col} IS NULL)"
        return f"{bound} AND ({condition})", [value, *params]
    return condition, params


def _and(parts: list[tuple[str, list[Any]]], params: list[Any]) -> str:
    for _, p in parts:
        params.extend(p)
    return " AND ".join(sql for sql, _ in parts)


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    return value
