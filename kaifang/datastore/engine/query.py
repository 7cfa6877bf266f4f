"""Reading a published version: the data API's records and aggregates (A19.1, A22.1) and the preview (A9.2).

Every read applies the reader's ``Projection`` first (its row filters are ANDed before the reader's own),
then the reader's checked ``RecordQuery``. SQL carries values only as parameters; identifiers come from the
declared schema, quoted.

Totals (``_total``):
  * ``none``: no total;
  * no filter at all (neither the reader's nor the projection's): the row count from the Parquet footer,
    exact and ~1 ms;
  * ``estimate`` on a file of more than ``estimate_above`` rows and at least 16 row groups: the matches in 8
    evenly spaced row groups, scaled up and marked ``total_is_estimate`` (on smaller files counting is cheap,
    so the total is exact and marked so);
  * otherwise an exact ``COUNT(*)`` (a filtered count on 1M rows takes a few ms, so exact is the norm).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from typing import Any

import duckdb

from kaifang.datastore.schema import FieldType, TableSchema

from . import rowfile
from .connection import connect, run_with_timeout
from .errors import QueryError, QueryTimeout
from .filters import Filter, compile_filter, quote_ident
from .paging import ROW_NUMBER, after_condition, encode_token, order_by
from .parse import Aggregate, RecordQuery, SortKey, build_query, parse_query
from .projection import Projection, ProjectionError

__all__ = [
    "AggregateResult", "Filter", "Projection", "ProjectionError", "QueryError", "QueryTimeout", "RecordQuery",
    "RecordsPage", "SortKey", "parse_query", "preview", "run_aggregate", "run_records", "token_at",
]

SAMPLE_ROW_GROUPS = 8  # an estimated total counts the matches in about this many row groups


@dataclass
class RecordsPage:
    rows: list[dict[str, Any]]
    fields: list[str]
    next_token: str | None = None
    total: int | None = None
    total_is_estimate: bool = False


@dataclass
class AggregateResult:
    groups: list[dict[str, Any]]
    fields: list[str] = field(default_factory=list)
    truncated: bool = False  # more groups exist than the limit let through


def run_records(parquet_path: str | PathLike[str], schema: TableSchema, query: RecordQuery, projection: Projection,
                *, timeout_s: float = 10.0, memory_limit: str = "512MB", threads: int = 2,
                estimate_above: int = 1_000_000) -> RecordsPage:
    """One page of rows in keyset order, with the token for the next page and the total."""
    if query.is_aggregate:
        raise ValueError("A grouped query goes to run_aggregate().")
    path = str(parquet_path)
    conditions, params = _conditions(schema, projection, query)
    needed = list(dict.fromkeys([*query.fields, *(k.field for k in query.sort)]))
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    page_params = list(params)
    if query.after is not None:
        after_sql, after_params = after_condition(query.sort, query.after)
        where = f"{where} AND ({after_sql})" if where else f"WHERE {after_sql}"
        page_params += after_params
    # Without sort keys the order is the file's: DuckDB keeps scan order (preserve_insertion_order), so a
    # plain LIMIT stops after the first row groups, where ORDER BY file_row_number would read the whole file.
    order = f"ORDER BY {order_by(query.sort)}" if query.sort else ""
    rows_file = rowfile.open_for(path)
    # With a row file, DuckDB finds the page's row numbers in it (only the filter and sort columns are scanned,
    # uncompressed) and the rows are read from it by position (rowfile.py); without one, DuckDB reads the page's
    # rows from the Parquet file. Same answers.
    if rows_file is not None:
        selected, source, source_params = ROW_NUMBER, rowfile.VIEW, []
    else:
        selected = f"{', '.join(map(quote_ident, needed))}, {ROW_NUMBER}"
        source, source_params = "read_parquet(?, file_row_number=true)", [path]
    sql = f"SELECT {selected} FROM {source} {where} {order} LIMIT ?"
    converters = _converters(schema, needed)
    shown = [(i, name, converters[name]) for i, name in enumerate(needed) if name in query.fields]

    def work(con: duckdb.DuckDBPyConnection) -> RecordsPage:
        if rows_file is not None:
            rows_file.register(con)
        # A page of 0 rows (a count) needs no rows at all.
        raw = con.execute(sql, [*source_params, *page_params, query.limit + 1]).fetchall() if query.limit else []
        if rows_file is not None:
            numbers = [n for (n,) in raw]
            raw = [(*row, n) for row, n in zip(rows_file.fetch(numbers, needed), numbers, strict=True)]
        more = len(raw) > query.limit
        total: int | None
        if query.limit and query.after is None and not more and query.total != "none":
            total, estimate = len(raw), False  # the whole result is on this first page
        else:
            total, estimate = _total(con, path, query, conditions, params, estimate_above, rows_file)
        raw = raw[:query.limit]
        rows = [{name: convert(row[i]) for i, name, convert in shown} for row in raw]
        token = None
        if more and raw:
            last = raw[-1]
            keys = tuple(last[needed.index(k.field)] for k in query.sort)
            token = encode_token(keys, last[-1], query.shape)
        return RecordsPage(rows=rows, fields=list(query.fields), next_token=token, total=total,
                           total_is_estimate=estimate)

    con = connect(threads=threads, memory_limit=memory_limit)
    return run_with_timeout(con, work, timeout_s)


def run_aggregate(parquet_path: str | PathLike[str], schema: TableSchema, query: RecordQuery, projection: Projection,
                  *, timeout_s: float = 10.0, memory_limit: str = "512MB", threads: int = 2) -> AggregateResult:
    """Grouped aggregates (``_group_by`` + ``_agg``); a facet is ``_group_by=col`` with the default count."""
    aggregates = query.aggregates or (Aggregate("count"),)
    conditions, params = _conditions(schema, projection, query)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    groups = [quote_ident(g) for g in query.group_by]
    selects = [*groups, *(f"{_agg_sql(a)} AS {quote_ident(a.alias)}" for a in aggregates)]
    sql = f"SELECT {', '.join(selects)} FROM read_parquet(?) {where}"
    if groups:
        sort = list(query.sort)
        if not sort and any(a.func == "count" for a in aggregates):
            sort = [SortKey("count", descending=True)]
        sort += [SortKey(g) for g in query.group_by if all(k.field != g for k in sort)]
        order = ", ".join(f"{quote_ident(k.field)} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in sort)
        sql += f" GROUP BY {', '.join(groups)} ORDER BY {order} LIMIT ?"
        params = [*params, query.limit + 1]
    names = [*query.group_by, *(a.alias for a in aggregates)]
    converters = _converters(schema, list(query.group_by))
    for a in aggregates:
        spec = schema.get(a.field) if a.field else None
        converters[a.alias] = _converter(spec.type) if spec is not None and a.func in ("min", "max") else _plain

    def work(con: duckdb.DuckDBPyConnection) -> AggregateResult:
        raw = con.execute(sql, [str(parquet_path), *params]).fetchall()
        truncated = bool(groups) and len(raw) > query.limit
        rows = [{n: converters[n](v) for n, v in zip(names, row, strict=True)} for row in raw[:query.limit]]
        return AggregateResult(groups=rows, fields=names, truncated=truncated)

    con = connect(threads=threads, memory_limit=memory_limit)
    return run_with_timeout(con, work, timeout_s)


def token_at(parquet_path: str | PathLike[str], schema: TableSchema, query: RecordQuery, projection: Projection,
             offset: int, *, timeout_s: float = 10.0, memory_limit: str = "512MB", threads: int = 2) -> str | None:
    """The ``next`` token whose page starts at row ``offset`` (0-based) of the query's result, for a "go to
    page N" link: one query that sorts only the sort keys and row numbers, then ordinary keyset pages.
    None when ``offset`` is 0 (the first page needs no token) or past the end."""
    if query.is_aggregate:
        raise ValueError("Grouped results have no pages.")
    if offset <= 0:
        return None
    conditions, params = _conditions(schema, projection, query)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    keys = [quote_ident(k.field) for k in query.sort]
    sql = (f"SELECT {', '.join([*keys, ROW_NUMBER])} FROM read_parquet(?, file_row_number=true) {where} "
           f"ORDER BY {order_by(query.sort)} LIMIT 1 OFFSET ?")

    def work(con: duckdb.DuckDBPyConnection) -> str | None:
        found = con.execute(sql, [str(parquet_path), *params, offset - 1]).fetchall()
        return encode_token(found[0][:-1], found[0][-1], query.shape) if found else None

    return run_with_timeout(connect(threads=threads, memory_limit=memory_limit), work, timeout_s)


def preview(parquet_path: str | PathLike[str], schema: TableSchema, projection: Projection, n: int = 20,
            sort: str | Sequence[str] | None = None, filters: Sequence[Filter] = (), **options: Any) -> RecordsPage:
    """The first ``n`` rows of a version for its page (A9.2), with optional sort (``"-capital"``) and filters."""
    query = build_query(schema, projection, filters=filters, sort=sort, limit=n)
    return run_records(parquet_path, schema, query, projection, **options)


def _conditions(schema: TableSchema, projection: Projection, query: RecordQuery) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    for flt in (*projection.compiled_row_filters(schema), *query.filters):
        sql, p = compile_filter(flt)
        conditions.append(sql)
        params.extend(p)
    return conditions, params


def _total(con: duckdb.DuckDBPyConnection, path: str, query: RecordQuery, conditions: list[str], params: list[Any],
           estimate_above: int, rows_file: rowfile.RowFile | None = None) -> tuple[int | None, bool]:
    if query.total == "none":
        return None, False
    if not conditions:
        if rows_file is not None:
            return rows_file.num_rows, False
        rows = con.execute("SELECT SUM(num_rows) FROM parquet_file_metadata(?)", [path]).fetchall()[0][0]
        return int(rows), False
    where = " AND ".join(conditions)
    if query.total == "estimate":
        groups = [n for (n,) in con.execute(
            "SELECT row_group_num_rows FROM parquet_metadata(?) WHERE column_id = 0 ORDER BY row_group_id",
            [path]).fetchall()]
        step = len(groups) // SAMPLE_ROW_GROUPS
        if sum(groups) > estimate_above and step > 1:
            # Whole row groups, evenly spaced: DuckDB skips the others by their row-number range.
            starts = [sum(groups[:i]) for i in range(len(groups))]
            picked = range(step // 2, len(groups), step)
            ranges = " OR ".join(f"({ROW_NUMBER} >= ? AND {ROW_NUMBER} < ?)" for _ in picked)
            bounds = [b for i in picked for b in (starts[i], starts[i] + groups[i])]
            matched, sampled = con.execute(
                f"SELECT COUNT(*) FILTER (WHERE {where}), COUNT(*) FROM read_parquet(?, file_row_number=true) "
                f"WHERE {ranges}", [*params, path, *bounds]).fetchall()[0]
            if sampled:
                return round(matched * sum(groups) / sampled), True
    source, source_params = (rowfile.VIEW, []) if rows_file is not None else ("read_parquet(?)", [path])
    count = con.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", [*source_params, *params]).fetchall()[0][0]
    return int(count), False


def _agg_sql(agg: Aggregate) -> str:
    if agg.func == "count":
        return "COUNT(*)"
    return f"{agg.func.upper()}({quote_ident(agg.field or '')})"


def _plain(value: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _float(value: Any) -> Any:
    return None if value is None else float(value)


def _converter(t: FieldType) -> Callable[[Any], Any]:
    """JSON-friendly values: dates and times as ISO 8601 strings, decimals as floats."""
    if t in (FieldType.DATE, FieldType.DATETIME):
        return _iso
    if t is FieldType.DECIMAL:
        return _float
    return _plain


def _converters(schema: TableSchema, names: list[str]) -> dict[str, Callable[[Any], Any]]:
    result = {}
    for name in names:
        spec = schema.get(name)
        result[name] = _converter(spec.type) if spec is not None else _plain
    return result
