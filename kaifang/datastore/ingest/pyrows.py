"""Staging rows that Python parsed: workbook rows under a header row, or JSON/XML records keyed by column."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from openpyxl.utils import get_column_letter

from kaifang.datastore.schema import FieldType, TableSchema

from . import errors as m
from .detect import looks_like_header
from .engine import Engine
from .errors import IngestError, IngestRejected, RowProblem
from .header import clean_name, expected_names, header_problems, lookup, match_columns
from .staging import ProblemLog, RowWriter, Staged, StagedColumn


def cell_text(value: Any, ftype: FieldType) -> str | None:
    """The text of a workbook cell or JSON value, as the declared type reads it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))  # Excel stores every number as a float
        return repr(value)
    if isinstance(value, datetime):
        if ftype is not FieldType.DATETIME and value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def stage_tabular(engine: Engine, rows: Iterable[tuple[int, tuple[Any, ...] | list[Any]]], schema: TableSchema,
                  max_problems: int) -> Staged:
    """Rows of a worksheet: the first non-empty row is the header; empty rows are skipped. Columns are named
    by their letters. A value in a column without a heading is a problem."""
    it = iter(rows)
    header_line, header = next(((n, values) for n, values in it if any(_present(v) for v in values)), (0, ()))
    if not header_line:
        raise IngestError(m.FILE_EMPTY)
    cells = [clean_name(c) for c in header]
    while cells and not cells[-1]:
        cells.pop()
    labels = [get_column_letter(i + 1) for i in range(len(cells))]
    fields, problems = match_columns(cells, schema, labels, line=header_line)
    if problems:
        if not looks_like_header(cells):
            problems.insert(0, RowProblem(header_line, None, None, m.HEADER_NOT_A_HEADER,
                                          {"expected": expected_names(schema)}))
        raise IngestRejected(problems)
    position = {spec.name: i for i, spec in enumerate(fields) if spec is not None}
    order = [position[f.name] for f in schema.fields]
    unnamed = [i for i, spec in enumerate(fields) if spec is None]
    width = len(cells)
    log = ProblemLog(max_problems)
    writer = RowWriter(engine, len(order))
    for line, values in it:
        if not any(_present(v) for v in values):
            continue
        n = len(values)
        writer.add(line, [cell_text(values[i], f.type) if i < n else None
                          for i, f in zip(order, schema.fields, strict=True)])
        for i in [*unnamed, *range(width, n)]:
            if i < n and _present(values[i]):
                log.add(RowProblem(line, get_column_letter(i + 1), None, m.ROW_EXTRA_VALUE))
    writer.flush()
    columns = [StagedColumn(f"c{j}", f, labels[order[j]]) for j, f in enumerate(schema.fields)]
    return Staged(columns, log)


def stage_records(engine: Engine, records: Iterable[tuple[int, dict[str, Any]]], schema: TableSchema,
                  log: ProblemLog) -> Staged:
    """JSON objects or XML rows: each key names a column (machine name or Chinese title). A key missing from
    a record is an empty value; a key no record has is a missing column; an undeclared key is unexpected."""
    known = lookup(schema)
    position = {f.name: j for j, f in enumerate(schema.fields)}
    labels: dict[str, str] = {}
    unexpected: dict[str, int] = {}
    writer = RowWriter(engine, len(schema.fields))
    for line, record in records:
        out: list[str | None] = [None] * len(position)
        filled = [False] * len(position)
        for key, value in record.items():
            spec = known.get(clean_name(key))
            if spec is None:
                unexpected.setdefault(clean_name(key) or repr(key), line)
                continue
            j = position[spec.name]
            label = labels.setdefault(spec.name, str(key))
            if filled[j]:
                log.add(RowProblem(line, str(key), spec.name, m.ROW_REPEATED_FIELD))
                continue
            filled[j] = True
            if isinstance(value, list | dict):
                log.add(RowProblem(line, label, spec.name, m.VALUE_NESTED))
                continue
            out[j] = cell_text(value, spec.type)
        writer.add(line, out)
    writer.flush()
    problems: list[RowProblem] = []
    if writer.count:
        missing = [f.name for f in schema.fields if f.name not in labels]
        problems += header_problems(missing, [], line=1)
    if unexpected:
        problems += header_problems([], list(unexpected), line=min(unexpected.values()))
    if problems:
        merged = ProblemLog(log.limit)
        merged.extend(problems + log.problems)
        merged.total += log.total - len(log.problems)
        log = merged
    columns = [StagedColumn(f"c{j}", f, labels.get(f.name, f.name)) for j, f in enumerate(schema.fields)]
    return Staged(columns, log)
