"""What was detected in an uploaded file, shown to the agency before it publishes (A9.2).

Reads only the start of the file and needs no schema: the header as written and the first rows as text.
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaifang.datastore.schema import FieldType

from . import errors as m
from .detect import detect_encoding, detect_format, looks_like_header, sniff_csv
from .errors import IngestError
from .excel import xls_rows, xlsx_rows
from .jsonsource import json_array_records, json_lines_records
from .limits import DEFAULT_MAX_BYTES, MAX_LINE_BYTES, PREVIEW_ROWS
from .pyrows import cell_text
from .staging import ProblemLog
from .text import read_text_head
from .xmlsource import xml_encoding, xml_records


@dataclass(frozen=True)
class Preview:
    format: str
    encoding: str | None
    delimiter: str | None
    has_header: bool
    header: list[str]
    rows: list[list[str | None]] = field(default_factory=list)


def read_header(src: Path, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Preview:
    """The detected format, encoding, delimiter and the header as written (no rows)."""
    return preview_rows(src, filename, n=0, max_bytes=max_bytes)


def preview_rows(src: Path, filename: str, n: int = PREVIEW_ROWS, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Preview:
    """The header and the first ``n`` rows, as text. Raises IngestError as ingest would for the whole file."""
    src = Path(src)
    size = src.stat().st_size
    if size > max_bytes:
        raise IngestError(m.FILE_TOO_LARGE, size=size, limit=max_bytes)
    if size == 0:
        raise IngestError(m.FILE_EMPTY)
    fmt = detect_format(src, filename)
    if fmt in ("csv", "tsv"):
        return _csv(src, fmt, n)
    if fmt in ("xlsx", "xls"):
        sheet = xlsx_rows(src, filename) if fmt == "xlsx" else xls_rows(src, filename)
        with closing(sheet):
            table = [[cell_text(v, FieldType.STRING) for v in values] for _, values in sheet
                     if any(v is not None and str(v).strip() for v in values)][: n + 1]
        return _tabular(fmt, None, None, table)
    log = ProblemLog(0)
    if fmt == "xml":
        encoding = xml_encoding(src)
        records = xml_records(src, log)
    else:
        encoding = detect_encoding(src)
        records = (json_array_records if fmt == "json" else json_lines_records)(src, encoding)
    found: list[dict[str, Any]] = []
    with closing(records):
        for _, record in records:
            found.append(record)
            if len(found) >= max(n, 1):
                break
    header = list(dict.fromkeys(k for r in found for k in r))
    rows = [[_text(r.get(k)) for k in header] for r in found[:n]]
    return Preview(fmt, encoding, None, True, header, rows)


def _text(value: Any) -> str | None:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value, FieldType.STRING)


def _tabular(fmt: str, encoding: str | None, delimiter: str | None, table: list[list[str | None]]) -> Preview:
    if not table:
        raise IngestError(m.FILE_EMPTY)
    header = [c or "" for c in table[0]]
    while header and not header[-1]:
        header.pop()
    return Preview(fmt, encoding, delimiter, looks_like_header(header), header, table[1:])


def _csv(src: Path, fmt: str, n: int) -> Preview:
    encoding = detect_encoding(src)
    delimiter = "\t" if fmt == "tsv" else sniff_csv(src, encoding)[0]
    text = read_text_head(src, encoding, MAX_LINE_BYTES)
    if not text.strip():
        raise IngestError(m.FILE_EMPTY)
    cut = len(text.encode("utf-8")) >= MAX_LINE_BYTES
    table: list[list[str | None]] = []
    try:
        for record in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter):
            if record:
                table.append(list(record))
            if len(table) == n + 2:
                break
    except csv.Error:
        cut = True  # the head ends inside a quoted value: show what came before
    if cut and 1 < len(table) < n + 2:
        table.pop()  # the last record may be cut short
    return _tabular(fmt, encoding, delimiter, table[: n + 1])
