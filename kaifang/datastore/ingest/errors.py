"""What can go wrong in an ingest, said so that an agency can fix its file (A9.2).

Every message is an English msgid with ``%(name)s`` parameters; the web layer translates it (zh_CN first) and fills
the parameters. ``ALL_MSGIDS`` lists every msgid this package (and the quality report) uses, for the translators.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Whole-file problems (IngestError).
FILE_EMPTY = "The file is empty."
FILE_TOO_LARGE = "The file is %(size)s bytes; the limit is %(limit)s bytes."
FORMAT_UNKNOWN = (
    "The file %(filename)s is not a format that can be published as a table (CSV, TSV, XLSX, XLS, JSON or XML)."
)
FORMAT_BINARY = "The file %(filename)s holds binary data (%(kind)s), not a table in CSV, TSV, JSON or XML."
FORMAT_MISMATCH = "The file %(filename)s is named %(claimed)s, but its content is %(actual)s."
ENCODING_UNKNOWN = (
    "The text encoding of the file could not be recognised (it is not UTF-8, GB18030/GBK or UTF-16): "
    "save it again as UTF-8."
)
ENCODING_INVALID = (
    "Line %(line)s (byte %(offset)s) is not valid %(encoding)s text: save the file again as UTF-8."
)
HEADER_ABSENT = "The file has no header: the first line must name the columns (%(expected)s)."
HEADER_TOO_LONG = "The first line is longer than %(limit)s bytes: it must be a header that names the columns."
CSV_UNREADABLE = "The file could not be read as %(format)s: %(detail)s"
WORKBOOK_INVALID = "The file %(filename)s is not a valid Excel workbook: %(detail)s"
WORKBOOK_NO_SHEET = "The workbook %(filename)s has no worksheet."
WORKBOOK_BOMB = "The workbook expands to %(size)s bytes when unpacked, more than the limit of %(limit)s bytes."
JSON_MALFORMED = "Line %(line)s: the JSON is malformed (%(detail)s)."
JSON_NOT_RECORDS = (
    "Line %(line)s: the JSON must be an array of objects, or one object per line, each object being one row."
)
JSON_RECORD_TOO_LONG = "Line %(line)s: one JSON record is longer than %(limit)s bytes."
XML_ENTITIES = (
    "Line %(line)s: the XML file declares entities or refers to external resources, which are refused for safety."
)
XML_MALFORMED = "Line %(line)s, column %(column)s: the XML is malformed (%(detail)s)."
REJECTED = "Nothing was published: problems found in the file: %(count)s."

# Problems in one line, row or cell (RowProblem). The header is line 1 of a CSV file.
HEADER_MISSING = "The file lacks the declared columns: %(names)s."
HEADER_UNEXPECTED = "The file has columns that are not declared data items: %(names)s."
HEADER_DUPLICATE = "Column %(column)s repeats the column %(name)s of column %(first)s."
HEADER_NOT_A_HEADER = "The first line does not look like a header: it must name the columns (%(expected)s)."
ROW_FIELD_COUNT = "Line %(line)s has %(found)s fields, but the header has %(expected)s."
ROW_BAD_QUOTE = "Line %(line)s: a quoted value is not closed, or text follows its closing quote."
ROW_TOO_LONG = (
    "Line %(line)s is longer than %(limit)s bytes (one value may hold at most %(field_limit)s bytes)."
)
ROW_UNREADABLE = "Line %(line)s cannot be read: %(detail)s"
ROW_EXTRA_VALUE = "Line %(line)s, column %(column)s: there is a value in a column without a header."
ROW_REPEATED_FIELD = "Line %(line)s: the field %(field)s appears twice in the same row."
XML_TOO_DEEP = (
    "Line %(line)s: the element <%(tag)s> is nested too deeply: rows are the children of the root element, "
    "and fields are their child elements or attributes."
)
XML_OTHER_ROW = "Line %(line)s: the element <%(tag)s> is not a row like <%(row)s>."
VALUE_TOO_LONG = "Line %(line)s, column %(column)s (%(field)s): the value is longer than %(limit)s bytes."
VALUE_REQUIRED = "Line %(line)s, column %(column)s (%(field)s): a value is required."
VALUE_NESTED = "Line %(line)s, column %(column)s (%(field)s): the value is a list or an object, not a single value."
VALUE_NOT_INTEGER = "Line %(line)s, column %(column)s (%(field)s): '%(value)s' is not a whole number."
VALUE_INTEGER_RANGE = "Line %(line)s, column %(column)s (%(field)s): '%(value)s' is too large for a whole number."
VALUE_NOT_DECIMAL = "Line %(line)s, column %(column)s (%(field)s): '%(value)s' is not a number."
VALUE_DECIMAL_RANGE = "Line %(line)s, column %(column)s (%(field)s): '%(value)s' is too large for a number."
VALUE_NOT_BOOLEAN = (
    "Line %(line)s, column %(column)s (%(field)s): '%(value)s' is not a yes/no value (true, false, 1, 0, 是, 否)."
)
VALUE_NOT_DATE = "Line %(line)s, column %(column)s (%(field)s): '%(value)s' is not a date (YYYY-MM-DD)."
VALUE_NOT_DATETIME = (
    "Line %(line)s, column %(column)s (%(field)s): '%(value)s' is not a date and time (YYYY-MM-DD HH:MM:SS)."
)

# Notices on a successful ingest (IngestResult.problems).
NOTICE_NO_ROWS = "The file has no rows: the published table is empty."

# Quality grades (A16.1), used by kaifang.datastore.quality.
GRADE_EXCELLENT = "Excellent"  # 优
GRADE_GOOD = "Good"  # 良
GRADE_FAIR = "Fair"  # 中
GRADE_POOR = "Poor"  # 差

ALL_MSGIDS: tuple[str, ...] = (
    FILE_EMPTY, FILE_TOO_LARGE, FORMAT_UNKNOWN, FORMAT_BINARY, FORMAT_MISMATCH, ENCODING_UNKNOWN, ENCODING_INVALID,
    HEADER_ABSENT, HEADER_TOO_LONG, CSV_UNREADABLE, WORKBOOK_INVALID, WORKBOOK_NO_SHEET, WORKBOOK_BOMB,
    JSON_MALFORMED, JSON_NOT_RECORDS, JSON_RECORD_TOO_LONG, XML_ENTITIES, XML_MALFORMED, REJECTED,
    HEADER_MISSING, HEADER_UNEXPECTED, HEADER_DUPLICATE, HEADER_NOT_A_HEADER, ROW_FIELD_COUNT, ROW_BAD_QUOTE,
    ROW_TOO_LONG, ROW_UNREADABLE, ROW_EXTRA_VALUE, ROW_REPEATED_FIELD, XML_TOO_DEEP, XML_OTHER_ROW,
    VALUE_TOO_LONG, VALUE_REQUIRED, VALUE_NESTED, VALUE_NOT_INTEGER, VALUE_INTEGER_RANGE, VALUE_NOT_DECIMAL,
    VALUE_DECIMAL_RANGE, VALUE_NOT_BOOLEAN, VALUE_NOT_DATE, VALUE_NOT_DATETIME,
    NOTICE_NO_ROWS,
    GRADE_EXCELLENT, GRADE_GOOD, GRADE_FAIR, GRADE_POOR,
)


class IngestError(Exception):
    """The whole file is refused: ``msgid % params`` says why and where."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(self.message())

    def message(self) -> str:
        return self.msgid % self.params


@dataclass(frozen=True)
class RowProblem:
    """A problem in one line, row or cell. ``line`` is the line in the file (the row for workbooks, where the
    header is row 1); ``column`` is where the value stands (``"3"`` in CSV, ``"C"`` in a workbook, the key in
    JSON and XML); ``field`` is the declared data item."""

    line: int
    column: str | None
    field: str | None
    msgid: str
    # dataclasses.field in full: the attribute ``field`` above shadows the bare name in this class body.
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def all_params(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "field": self.field, **self.params}

    def message(self) -> str:
        return self.msgid % self.all_params()

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "field": self.field, "msgid": self.msgid,
                "params": dict(self.params)}


class IngestRejected(IngestError):
    """The file has problems in its header, rows or values: nothing was published.

    ``problems`` holds the first ``max_problems`` (in file order); ``total`` counts them all. When a file is
    broken in its structure, ``total`` is at least the number found (``total_is_exact`` says which)."""

    def __init__(self, problems: list[RowProblem], total: int | None = None, *, total_is_exact: bool = True) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        self.total_is_exact = total_is_exact
        super().__init__(REJECTED, count=self.total)
