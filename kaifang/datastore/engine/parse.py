"""Parsing a data API query string (A19.1, A22.1) into a checked ``RecordQuery``.

Reserved parameters (the bare form is a synonym, unless a visible column has that name):
``_sort`` (``a,-b``), ``_fields``, ``_limit``, ``_next``, ``_total`` (exact|estimate|none),
``_group_by`` (``a,b``) and ``_agg`` (repeatable: ``count``, ``sum:col``, ``avg:col``, ``min:col``,
``max:col``). Anything else is ``column__op=value`` or ``column=value`` (exact).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from kaifang.datastore.schema import FieldSpec, FieldType, TableSchema

from . import errors, paging
from .errors import QueryError
from .filters import ALL_OPERATORS, Filter, normalize_filter
from .projection import Projection

TOTAL_MODES = ("exact", "estimate", "none")
AGG_FUNCS = ("count", "sum", "avg", "min", "max")
_NUMERIC = (FieldType.INTEGER, FieldType.DECIMAL)
_SINGLE = {"sort": "_sort", "fields": "_fields", "limit": "_limit", "next": "_next", "total": "_total",
           "group_by": "_group_by"}
_MULTI = {"agg": "_agg"}


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Aggregate:
    func: str  # count | sum | avg | min | max
    field: str | None = None  # None for count

    @property
    def alias(self) -> str:
        return self.func if self.field is None else f"{self.func}_{self.field}"


@dataclass(frozen=True)
class RecordQuery:
    """A checked query: every name is a visible column, every value typed."""

    fields: tuple[str, ...]
    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    limit: int = 100
    total: str = "exact"
    after: paging.Cursor | None = None
    group_by: tuple[str, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    shape: str = field(default="", compare=False)

    @property
    def is_aggregate(self) -> bool:
        return bool(self.group_by or self.aggregates)


def parse_query(params: Iterable[tuple[str, str]], schema: TableSchema, projection: Projection, *,
                max_limit: int = 1000, default_limit: int = 100) -> RecordQuery:
    """Check a multi-valued query string against the visible schema. Raises ``QueryError`` (a 400)."""
    visible = {f.name for f in projection.visible_fields(schema)}
    single: dict[str, str] = {}
    aggs: list[str] = []
    filters: list[Filter] = []
    for key, value in params:
        reserved = _reserved(key, visible)
        if reserved in _MULTI.values():
            aggs.append(value)
        elif reserved is not None:
            if reserved in single:
                raise QueryError(errors.REPEATED_PARAMETER, reserved, param=reserved)
            single[reserved] = value
        elif key.startswith("_"):
            raise QueryError(errors.UNKNOWN_PARAMETER, key, param=key)
        else:
            filters.append(_parse_filter(key, value, visible, schema, projection))
    group_by = tuple(_names(single.get("_group_by", ""), "_group_by", schema, projection))
    aggregates = tuple(dict.fromkeys(_parse_agg(a, schema, projection) for a in aggs))
    if group_by and Aggregate("count") not in aggregates:
        aggregates = (Aggregate("count"), *aggregates)  # every group tells its size
    return build_query(
        schema, projection, filters=filters, fields=_names(single.get("_fields", ""), "_fields", schema, projection),
        sort=single.get("_sort", ""), limit=_limit(single.get("_limit"), max_limit, default_limit),
        total=_total(single.get("_total")), token=single.get("_next"), group_by=group_by, aggregates=aggregates,
    )


def build_query(schema: TableSchema, projection: Projection, *, filters: Sequence[Filter] = (),
                fields: Sequence[str] = (), sort: str | Sequence[str] | None = None, limit: int = 100,
                total: str = "exact", token: str | None = None, group_by: Sequence[str] = (),
                aggregates: Sequence[Aggregate] = ()) -> RecordQuery:
    """A ``RecordQuery`` from already separated parts (used by ``parse_query`` and the preview)."""
    checked = tuple(normalize_filter(projection.field(schema, f.field), f) for f in filters)
    if isinstance(sort, str):
        sort = [s for s in sort.split(",") if s.strip()]
    keys = _sort_keys(sort or (), schema, projection, group_by, aggregates)
    out = tuple(fields) if fields else tuple(f.name for f in projection.visible_fields(schema))
    for name in out:
        projection.field(schema, name, "_fields")
    query = RecordQuery(fields=out, filters=checked, sort=keys, limit=limit, total=total,
                        group_by=tuple(group_by), aggregates=tuple(aggregates))
    shape = paging.shape_hash(query, projection.fingerprint(schema))
    if token:
        if query.is_aggregate:
            raise QueryError(errors.NO_PAGING_FOR_GROUPS, "_next", param="_limit")
        specs = [projection.field(schema, k.field) for k in keys]
        cursor = paging.decode_token(token, shape, specs)
        return replace(query, after=cursor, shape=shape)
    return replace(query, shape=shape)


def _reserved(key: str, visible: set[str]) -> str | None:
    if key in _SINGLE.values() or key in _MULTI.values():
        return key
    bare = _SINGLE.get(key) or _MULTI.get(key)
    return bare if bare and key not in visible else None


def _parse_filter(key: str, value: str, visible: set[str], schema: TableSchema, projection: Projection) -> Filter:
    """A typed filter from ``column__op=value``; errors name the parameter as given."""
    if key in visible:
        return normalize_filter(projection.field(schema, key), Filter(key, "exact", value), key)
    head, sep, tail = key.rpartition("__")
    if sep and (tail in ALL_OPERATORS or head in visible):
        return normalize_filter(projection.field(schema, head, key), Filter(head, tail, value), key)
    raise QueryError(errors.UNKNOWN_COLUMN, key, column=key)


def _names(value: str, param: str, schema: TableSchema, projection: Projection) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    for name in names:
        projection.field(schema, name, param)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise QueryError(errors.REPEATED_COLUMN, param, column=dup, param=param)
    return names


def _parse_agg(value: str, schema: TableSchema, projection: Projection) -> Aggregate:
    func, _, column = value.strip().partition(":")
    if func not in AGG_FUNCS or (func == "count") != (column == ""):
        raise QueryError(errors.UNKNOWN_AGGREGATE, "_agg", agg=value,
                         choices="count, sum:column, avg:column, min:column, max:column")
    if func == "count":
        return Aggregate("count")
    spec: FieldSpec = projection.field(schema, column, "_agg")
    if func in ("sum", "avg") and spec.type not in _NUMERIC:
        raise QueryError(errors.AGGREGATE_NEEDS_NUMBER, "_agg", func=func, column=column, type=spec.type.value)
    return Aggregate(func, column)


def _sort_keys(items: Sequence[str], schema: TableSchema, projection: Projection, group_by: Sequence[str],
               aggregates: Sequence[Aggregate]) -> tuple[SortKey, ...]:
    keys: list[SortKey] = []
    grouped = bool(group_by or aggregates)
    allowed = [*group_by, *(a.alias for a in aggregates)]
    clash = set(group_by) & {a.alias for a in aggregates}
    if clash:
        raise QueryError(errors.AGGREGATE_NAME_CLASH, "_group_by", column=sorted(clash)[0])
    for raw in items:
        item = raw.strip()
        desc = item.startswith("-")
        name = item.lstrip("-").strip()
        if grouped:
            if name not in allowed:
                projection.field(schema, name, "_sort")  # unknown/hidden columns: same message as elsewhere
                raise QueryError(errors.AGGREGATE_SORT, "_sort", column=name, choices=", ".join(allowed))
        else:
            projection.field(schema, name, "_sort")
        if any(k.field == name for k in keys):
            raise QueryError(errors.REPEATED_COLUMN, "_sort", column=name, param="_sort")
        keys.append(SortKey(name, desc))
    return tuple(keys)


def _limit(value: str | None, max_limit: int, default: int) -> int:
    if value is None or value.strip() == "":
        return min(default, max_limit)
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        raise QueryError(errors.BAD_LIMIT, "_limit", param="_limit", value=value)
    return min(int(text), max_limit)


def _total(value: str | None) -> str:
    if value is None or value.strip() == "":
        return "exact"
    if value.strip() not in TOTAL_MODES:
        raise QueryError(errors.BAD_CHOICE, "_total", value=value, param="_total", choices=", ".join(TOTAL_MODES))
    return value.strip()
