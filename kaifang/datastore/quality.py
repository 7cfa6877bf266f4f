"""The quality report of one published version of a table (A16.1), computed from its Parquet file.

Per column: empty values (NULL, or only spaces for strings), distinct values, values that break the declared
type (possible when the data items were edited after publishing), invalid check characters of
统一社会信用代码 (``format=uscc``) and 身份证号 (``format=id_card``), dates out of a plausible range (before
1900-01-01 or more than a year after ``today``), and min/max of numbers and dates. For the table: rows, and
rows that repeat an earlier row whole.

Score (0-100, one decimal)::

    score = 100 - 30 * C_required - 10 * C_optional - 20 * D - 40 * V, floored at 0

where C_required / C_optional is the mean empty ratio of the required / optional columns (0 when there are
none), D the duplicate-row ratio, and V the share of bad values among the non-empty values of the checked
columns (typed or with a format): a value is bad when it breaks its type, its check character or the date
range. A table without rows scores 0. Grades: 90 and above "Excellent" (优), 75 "Good" (良), 60 "Fair" (中),
below "Poor" (差); the grade is a msgid the web layer translates.

Everything is computed by DuckDB in two scans of the file (one aggregate, one DISTINCT for duplicates), with
the check characters in vectorised SQL (``kaifang.datastore.checks``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from kaifang import clock
from kaifang.datastore.checks import id_card_number_sql, id_card_valid_sql, normalized_sql, uscc_valid_sql
from kaifang.datastore.ingest import errors as m
from kaifang.datastore.ingest.typesql import blank_sql, quote_ident, typed_sql
from kaifang.datastore.schema import DUCKDB_TYPES, FieldFormat, FieldSpec, FieldType, TableSchema

EARLIEST = date(1900, 1, 1)
GRADES = ((90.0, m.GRADE_EXCELLENT), (75.0, m.GRADE_GOOD), (60.0, m.GRADE_FAIR), (0.0, m.GRADE_POOR))
_RANGED = (FieldType.DATE, FieldType.DATETIME)
_ORDERED = (FieldType.INTEGER, FieldType.DECIMAL, FieldType.DATE, FieldType.DATETIME)


@dataclass(frozen=True)
class ColumnQuality:
    name: str
    type: str
    format: str | None
    required: bool
    present: bool  # False when the Parquet file lacks the column (it then counts as empty)
    empty: int
    empty_ratio: float
    distinct: int
    invalid_type: int
    invalid_format: int
    out_of_range: int
    min: int | float | str | None = None  # dates as ISO text
    max: int | float | str | None = None

    @property
    def invalid(self) -> int:
        return self.invalid_type + self.invalid_format + self.out_of_range

    @property
    def checked(self) -> bool:
        return self.type != FieldType.STRING.value or self.format is not None


@dataclass(frozen=True)
class QualityReport:
    row_count: int
    duplicate_rows: int
    duplicate_ratio: float
    columns: tuple[ColumnQuality, ...]
    score: float
    grade: str  # msgid: Excellent / Good / Fair / Poor
    today: date = field(default_factory=clock.today)

    def column(self, name: str) -> ColumnQuality:
        return next(c for c in self.columns if c.name == name)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["today"] = self.today.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QualityReport:
        columns = tuple(ColumnQuality(**c) for c in data["columns"])
        return cls(row_count=data["row_count"], duplicate_rows=data["duplicate_rows"],
                   duplicate_ratio=data["duplicate_ratio"], columns=columns, score=data["score"],
                   grade=data["grade"], today=date.fromisoformat(data["today"]))


def quality_report(parquet_path: Path, schema: TableSchema, *, today: date | None = None) -> QualityReport:
    today = today or clock.today()
    try:
        latest = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + 1, day=28)
    con = duckdb.connect(config={"memory_limit": "640MB", "autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})
    try:
        source = "read_parquet('" + str(parquet_path).replace("'", "''") + "')"
        types = {name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        plans = [_ColumnPlan(spec, types.get(spec.name), latest, f"__code{k}") for k, spec in enumerate(schema.fields)]
        parts = ["count(*)", *[a for plan in plans for a in plan.aggregates()]]
        # The codes are normalised once in a subquery, and the ID numbers taken from them in a second one:
        # DuckDB does not share a subexpression between the branches of a CASE.
        codes = ["*", *[f"{normalized_sql(f'CAST({p.col} AS VARCHAR)')} AS {p.code}" for p in plans
                        if p.present and p.spec.format is not None]]
        numbers = ["*", *[f"{id_card_number_sql(p.code)} AS {p.code}_number" for p in plans
                          if p.present and p.spec.format is FieldFormat.ID_CARD]]
        values = con.execute(f"SELECT {', '.join(parts)} FROM (SELECT {', '.join(numbers)} FROM "
                             f"(SELECT {', '.join(codes)} FROM {source}))").fetchone() or (0,)
        rows = int(values[0])
        distinct_rows = (con.execute(f"SELECT count(*) FROM (SELECT DISTINCT * FROM {source})").fetchone() or (0,))[0]
    finally:
        con.close()
    columns, at = [], 1
    for plan in plans:
        columns.append(plan.result(rows, values[at:at + plan.width]))
        at += plan.width
    duplicates = rows - int(distinct_rows)
    duplicate_ratio = duplicates / rows if rows else 0.0
    score = _score(rows, duplicate_ratio, columns)
    grade = next(g for floor, g in GRADES if score >= floor)
    return QualityReport(rows, duplicates, round(duplicate_ratio, 6), tuple(columns), score, grade, today)


class _ColumnPlan:
    """The aggregates one column needs, and how to read them back."""

    def __init__(self, spec: FieldSpec, stored: str | None, latest: date, code: str) -> None:
        self.spec = spec
        self.code = code
        self.present = stored is not None
        self.col = quote_ident(spec.name)
        self.native = stored == DUCKDB_TYPES[spec.type]
        self.latest = latest
        self.width = 7 if self.present else 0

    def _value(self) -> str:
        """The column as its declared type (converted from text when the file stores it otherwise)."""
        if self.native:
            return self.col
        return typed_sql(f"CAST({self.col} AS VARCHAR)", self.spec.type)

    def aggregates(self) -> list[str]:
        if not self.present:
            return []
        spec, col, value = self.spec, self.col, self._value()
        text = f"CAST({col} AS VARCHAR)"
        empty = blank_sql(text) if spec.type is FieldType.STRING or not self.native else f"{col} IS NULL"
        bad_type = "0" if self.native else f"count_if({value} IS NULL AND NOT {blank_sql(text)})"
        if spec.format is FieldFormat.USCC:
            valid = uscc_valid_sql(self.code, normalized=True)
        elif spec.format is FieldFormat.ID_CARD:
            valid = id_card_valid_sql(self.code, normalized=True, number=f"{self.code}_number")
        bad_format = f"count_if(NOT {blank_sql(text)} AND NOT {valid})" if spec.format else "0"
        if spec.type in _RANGED:
            bound = f"CAST({value} AS DATE)"
            out = f"count_if({bound} < DATE '{EARLIEST}' OR {bound} > DATE '{self.latest}')"
        else:
            out = "0"
        low, high = (f"min({value})", f"max({value})") if spec.type in _ORDERED else ("NULL", "NULL")
        return [f"count_if({empty})", f"count(DISTINCT {col})", bad_type, bad_format, out, low, high]

    def result(self, rows: int, values: tuple[Any, ...]) -> ColumnQuality:
        spec = self.spec
        if not self.present:
            values = (rows, 0, 0, 0, 0, None, None)
        empty, distinct, bad_type, bad_format, out = (int(v or 0) for v in values[:5])  # NULL over no rows
        low, high = values[5:]
        return ColumnQuality(spec.name, spec.type.value, spec.format.value if spec.format else None, spec.required,
                             self.present, empty, round(empty / rows, 6) if rows else 0.0, distinct, bad_type,
                             bad_format, out, _plain(low), _plain(high))


def _plain(value: Any) -> int | float | str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _score(rows: int, duplicate_ratio: float, columns: list[ColumnQuality]) -> float:
    if rows == 0:
        return 0.0
    required = _mean([c.empty_ratio for c in columns if c.required])
    optional = _mean([c.empty_ratio for c in columns if not c.required])
    checked = [c for c in columns if c.checked]
    filled = sum(rows - c.empty for c in checked)
    bad = sum(c.invalid for c in checked)
    invalid_ratio = bad / filled if filled else 0.0
    score = 100 - 30 * required - 10 * optional - 20 * duplicate_ratio - 40 * invalid_ratio
    return round(max(0.0, min(100.0, score)), 1)
