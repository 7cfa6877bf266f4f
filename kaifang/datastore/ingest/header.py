"""Matching the columns of a file with the declared data items (A9.2).

A column matches a data item by its machine name or, since agencies' spreadsheets carry Chinese headings, by
its Chinese title; surrounding spaces do not count. The order of the columns does not matter. Missing and
unexpected columns are reported in one message each, listing them; a column named twice is reported too.
"""

from __future__ import annotations

from kaifang.datastore.schema import FieldSpec, TableSchema

from . import errors as m
from .errors import RowProblem


def lookup(schema: TableSchema) -> dict[str, FieldSpec]:
    by_name: dict[str, FieldSpec] = {}
    for f in schema.fields:
        by_name.setdefault(f.title.strip(), f)
    for f in schema.fields:
        by_name[f.name] = f  # a machine name wins over a title
    return by_name


def clean_name(cell: object) -> str:
    return "" if cell is None else str(cell).replace("\ufeff", "").strip()


def match_columns(cells: list[str], schema: TableSchema, labels: list[str], *,
                  line: int = 1) -> tuple[list[FieldSpec | None], list[RowProblem]]:
    """For each column of the header, its data item (None for a column without a heading).

    ``labels`` name the columns in messages ("3", "C"). Returns the problems instead of raising so that the
    caller can add its own.
    """
    known = lookup(schema)
    fields: list[FieldSpec | None] = []
    seen: dict[str, str] = {}
    unexpected: list[str] = []
    problems: list[RowProblem] = []
    for cell, label in zip(cells, labels, strict=True):
        name = clean_name(cell)
        spec = known.get(name)
        fields.append(spec)
        if not name:
            continue
        if spec is None:
            unexpected.append(name)
        elif spec.name in seen:
            problems.append(RowProblem(line, label, spec.name, m.HEADER_DUPLICATE,
                                       {"name": name, "first": seen[spec.name]}))
        else:
            seen[spec.name] = label
    missing = [f.name for f in schema.fields if f.name not in seen]
    problems += header_problems(missing, unexpected, line=line)
    return fields, problems


def header_problems(missing: list[str], unexpected: list[str], *, line: int = 1) -> list[RowProblem]:
    problems = []
    if missing:
        problems.append(RowProblem(line, None, None, m.HEADER_MISSING, {"names": ", ".join(missing)}))
    if unexpected:
        problems.append(RowProblem(line, None, None, m.HEADER_UNEXPECTED, {"names": ", ".join(unexpected)}))
    return problems


def expected_names(schema: TableSchema) -> str:
    return ", ".join(schema.names())
