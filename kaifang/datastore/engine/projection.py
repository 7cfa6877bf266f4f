"""What a reader may see of a version: the columns and rows that the access decision grants.

The access-decision function (one for the whole platform) returns a ``Projection``; the preview, the data
API and every download apply it before anything the reader asks for. A column outside the projection is
treated exactly like a column that does not exist, so its existence does not leak.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from kaifang.datastore.schema import FieldSpec, TableSchema

from . import errors
from .errors import QueryError
from .filters import Filter, normalize_filter


class ProjectionError(ValueError):
    """The projection does not fit the version's schema (for instance a row filter on a dropped column).

    A server-side fault, not a reader's: refuse to serve rather than serve more than was granted."""


@dataclass(frozen=True)
class Projection:
    """``columns`` = the visible field names (None: all); ``row_filters`` = conditions every row must meet."""

    columns: tuple[str, ...] | None = None
    row_filters: tuple[Filter, ...] = ()

    def visible_fields(self, schema: TableSchema) -> list[FieldSpec]:
        """Visible fields in schema order. Granted columns missing from this version are simply not shown."""
        if self.columns is None:
            fields = list(schema.fields)
        else:
            allowed = set(self.columns)
            fields = [f for f in schema.fields if f.name in allowed]
        if not fields:
            raise ProjectionError("The projection leaves no column of this version visible.")
        return fields

    def field(self, schema: TableSchema, name: str, param: str | None = None) -> FieldSpec:
        """The visible field ``name``; anything else is an unknown column (same message, hidden or missing)."""
        if self.columns is None or name in self.columns:
            spec = schema.get(name)
            if spec is not None:
                return spec
        raise QueryError(errors.UNKNOWN_COLUMN, param or name, column=name)

    def compiled_row_filters(self, schema: TableSchema) -> tuple[Filter, ...]:
        """Row filters checked against the full schema and typed. Any misfit fails closed."""
        result = []
        for flt in self.row_filters:
            spec = schema.get(flt.field)
            if spec is None:
                raise ProjectionError(f"Row filter on {flt.field!r}, which this version does not have.")
            try:
                result.append(normalize_filter(spec, flt))
            except QueryError as exc:
                raise ProjectionError(f"Row filter on {flt.field!r} does not fit: {exc}") from None
        return tuple(result)

    def fingerprint(self, schema: TableSchema) -> str:
        """A stable digest of what this projection shows of ``schema`` (for cache keys and paging tokens)."""
        payload = {
            "columns": [f.name for f in self.visible_fields(schema)],
            "rows": [[f.field, f.op, _jsonable(f.value)] for f in self.compiled_row_filters(schema)],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _jsonable(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)
