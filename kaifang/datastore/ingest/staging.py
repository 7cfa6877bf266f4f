"""The staged table: every value of the file as text, one VARCHAR column per file column, before checks.

CSV and TSV are staged by DuckDB's own reader; workbooks, JSON and XML are parsed in Python and written into
the same kind of table in Arrow batches, with the line of each row in ``__line``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from kaifang.datastore.schema import FieldSpec

from .engine import Engine
from .errors import RowProblem

TABLE = "staged"
LINE_COLUMN = "__line"
_BATCH_ROWS = 20_000


@dataclass(frozen=True)
class StagedColumn:
    sql: str  # the column of the staged table
    field: FieldSpec | None  # None: a column without a heading, which must stay empty
    label: str  # how messages name where it stands: "3", "C", a JSON key


@dataclass
class ProblemLog:
    """Keeps the first ``limit`` problems (in the order they are found) and counts them all."""

    limit: int
    problems: list[RowProblem] = field(default_factory=list)
    total: int = 0
    exact: bool = True

    def add(self, problem: RowProblem) -> None:
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(problem)

    def extend(self, problems: list[RowProblem]) -> None:
        for p in problems:
            self.add(p)


@dataclass
class Staged:
    """What staging produced: where to read the text values (``source_sql``, a table or DuckDB's CSV reader),
    what each column is, and the problems found so far. ``line_of`` maps row ids to lines when the source has
    no ``__line`` column."""

    columns: list[StagedColumn]
    log: ProblemLog
    source_sql: str = TABLE
    encoding: str | None = None
    delimiter: str | None = None
    has_line_column: bool = True
    line_of: Callable[[list[int]], dict[int, int]] | None = None
    notices: list[RowProblem] = field(default_factory=list)

    def column_for(self, spec: FieldSpec) -> StagedColumn:
        return next(c for c in self.columns if c.field is not None and c.field.name == spec.name)


class RowWriter:
    """Appends rows of text values to the staged table, in Arrow batches so that memory stays bounded."""

    def __init__(self, engine: Engine, width: int) -> None:
        self.engine = engine
        self.width = width
        self.names = [f"c{i}" for i in range(width)]
        self._columns: list[list[str | None]] = [[] for _ in range(width)]
        self._lines: list[int] = []
        self.count = 0
        cols = ", ".join(f"{n} VARCHAR" for n in self.names)
        engine.fetch(f"CREATE TABLE {TABLE} ({cols}{', ' if cols else ''}{LINE_COLUMN} BIGINT)")

    def add(self, line: int, values: list[str | None]) -> None:
        for column, value in zip(self._columns, values, strict=True):
            column.append(value)
        self._lines.append(line)
        self.count += 1
        if len(self._lines) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self._lines:
            return
        arrays = [pa.array(c, pa.string()) for c in self._columns] + [pa.array(self._lines, pa.int64())]
        batch = pa.Table.from_arrays(arrays, names=[*self.names, LINE_COLUMN])
        self.engine.con.register("ingest_batch", batch)
        try:
            self.engine.fetch(f"INSERT INTO {TABLE} SELECT * FROM ingest_batch")
        finally:
            self.engine.con.unregister("ingest_batch")
        self._columns = [[] for _ in range(self.width)]
        self._lines = []
