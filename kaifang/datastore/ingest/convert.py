"""Converting the staged text to the declared types and finding every bad value, in one pass (A9.2).

One statement reads the source (DuckDB's CSV reader, or the staged table Python filled), converts each value
with the strict expressions of ``typesql`` and marks each cell that breaks a rule with a problem code,
keeping the text of bad cells only. Counting the codes is then a scan of small columns; only when some are
found do a few queries fetch the first ones. A clean file is converted exactly once; the Parquet file is
written from the typed table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kaifang.datastore.schema import FieldType, TableSchema

from . import errors as m
from .engine import Engine
from .errors import RowProblem
from .limits import MAX_FIELD_BYTES
from .staging import LINE_COLUMN, Staged
from .typesql import blank_sql, quote_ident, refusal_sql, typed_sql

TYPED = "typed"
TOO_LONG, REQUIRED, REFUSED, EXTRA = 1, 2, 3, 4
_SHOWN = 50  # characters of a bad value quoted in its message


def build_typed(engine: Engine, staged: Staged, lo: float, hi: float) -> None:
    """CREATE TABLE typed: for staged column k, ``t{k}`` (typed value), ``p{k}`` (problem code or NULL) and
    ``e{k}`` (the text of a bad cell), plus ``__line`` when the source has it."""
    line = [LINE_COLUMN] if staged.has_line_column else []
    inner, middle, outer = [*line], [*line], [*line]
    for k, column in enumerate(staged.columns):
        raw, t, p = quote_ident(column.sql), f"t{k}", f"p{k}"
        inner.append(raw)
        middle.append(raw)
        if column.field is None:
            middle.append(f"CASE WHEN NOT {blank_sql(raw)} THEN {EXTRA} END AS {p}")
        else:
            inner.append(f"{typed_sql(raw, column.field.type)} AS {t}")
            middle += [t, f"{_problem_sql(raw, t, column.field.type, column.field.required)} AS {p}"]
            outer.append(t)
        outer += [p, f"CASE WHEN {p} IS NOT NULL THEN {raw} END AS e{k}"]
    engine.run(f"CREATE TABLE {TYPED} AS SELECT {', '.join(outer)} FROM (SELECT {', '.join(middle)} FROM "
               f"(SELECT {', '.join(inner)} FROM {staged.source_sql}))", lo, hi)


def _problem_sql(raw: str, t: str, ftype: FieldType, required: bool) -> str:
    whens = [f"WHEN strlen({raw}) > {MAX_FIELD_BYTES} THEN {TOO_LONG}"]
    if ftype is FieldType.STRING:
        if required:
            whens.append(f"WHEN {blank_sql(raw)} THEN {REQUIRED}")
    else:
        whens.append(f"WHEN {t} IS NULL AND NOT {blank_sql(raw)} THEN {REFUSED}")
        if required:
            whens.append(f"WHEN {t} IS NULL THEN {REQUIRED}")
    return f"CASE {' '.join(whens)} END"


def find_problems(engine: Engine, staged: Staged, max_problems: int) -> tuple[list[RowProblem], int]:
    """The first ``max_problems`` bad cells (in file order) and the number of all of them."""
    columns = list(enumerate(staged.columns))
    counts = engine.fetch("SELECT " + ", ".join(f"count(p{k})" for k, _ in columns) + f" FROM {TYPED}")[0]
    total = sum(counts)
    if not total:
        return [], 0
    line_sql = LINE_COLUMN if staged.has_line_column else "NULL"
    hits = []
    for (k, column), count in zip(columns, counts, strict=True):
        if not count:
            continue
        why, msgids = refusal_sql(f"e{k}", column.field.type) if column.field else ("0", (m.ROW_EXTRA_VALUE,))
        for rowid, line, code, value, reason in engine.fetch(
                f"SELECT rowid, {line_sql}, p{k}, left(e{k}, {_SHOWN + 1}), {why} FROM {TYPED} "
                f"WHERE p{k} IS NOT NULL ORDER BY rowid LIMIT {max_problems}"):
            hits.append((rowid, k, line, column, code, value, msgids[reason]))
    hits.sort(key=lambda h: (h[0], h[1]))
    hits = hits[:max_problems]
    lines: dict[int, int] = {}
    if not staged.has_line_column and staged.line_of is not None:
        lines = staged.line_of([h[0] for h in hits])
    problems = []
    for rowid, _, line, column, code, value, refusal in hits:
        where = line if line is not None else lines.get(rowid, rowid + 2)
        params: dict[str, Any]
        field = column.field.name if column.field is not None else None
        if code == TOO_LONG:
            msgid, params = m.VALUE_TOO_LONG, {"limit": MAX_FIELD_BYTES}
        elif code == REQUIRED:
            msgid, params = m.VALUE_REQUIRED, {}
        elif code == EXTRA:
            msgid, params = m.ROW_EXTRA_VALUE, {}
        else:
            msgid, params = refusal, {"value": _shown(value)}
        problems.append(RowProblem(where, column.label, field, msgid, params))
    return problems, total


def write_parquet(engine: Engine, staged: Staged, schema: TableSchema, part: Path, lo: float, hi: float) -> int:
    """Write the typed columns, in the declared order and under the declared names; returns the row count."""
    position = {c.field.name: k for k, c in enumerate(staged.columns) if c.field is not None}
    select = ", ".join(f"t{position[f.name]} AS {quote_ident(f.name)}" for f in schema.fields)
    target = "'" + str(part).replace("'", "''") + "'"
    # zstd level 1: measured 30 % faster than the default level for 6 % more bytes on the 1M-row benchmark.
    rows = engine.run(f"COPY (SELECT {select} FROM {TYPED}) TO {target} "
                      "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, USE_TMP_FILE false)", lo, hi)
    return int(rows[0][0]) if rows else 0


def _shown(value: str | None) -> str:
    if value is None:
        return ""
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
