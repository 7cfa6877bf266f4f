"""Staging CSV and TSV files with DuckDB's reader (A9.2).

UTF-8 files (with or without BOM) are read in place; GB18030/GBK and UTF-16 files are first transcoded to a
UTF-8 work file in streamed chunks (measured faster than DuckDB's own UTF-16 decoding, and DuckDB has no
GB18030 without a downloaded extension). All values are read as text with the dialect fixed (RFC 4180 quotes,
strict column counts); lines DuckDB cannot read are collected from its rejects table with their line numbers.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from kaifang.datastore.schema import TableSchema

from . import errors as m
from .convert import TYPED, build_typed
from .detect import detect_encoding, looks_like_header, sample_is_ascii, sniff_csv
from .engine import Engine, Progress
from .errors import IngestError, IngestRejected, RowProblem
from .header import expected_names, match_columns
from .limits import CHUNK_BYTES, MAX_FIELD_BYTES, MAX_HEADER_BYTES, MAX_LINE_BYTES
from .staging import ProblemLog, Staged, StagedColumn
from .text import find_invalid_utf8, read_text_head, transcode_to_utf8

REJECTS_LIMIT = 100_000
# Leave DuckDB's buffer_size alone: with an explicit buffer_size, DuckDB 2.0.1 drops a line longer than
# max_line_size without a reject (the test "huge-single-field" guards this).
_FOUND = re.compile(r"Found:\s*(\d+)")
_REJECTS = "ingest_rejects"


def load_csv(engine: Engine, path: Path, fmt: str, schema: TableSchema, workdir: Path, progress: Progress,
             lo: float, hi: float, max_problems: int) -> Staged:
    """Read the file and build the typed table (``convert.build_typed``); returns what was staged."""
    encoding = detect_encoding(path)
    try:
        return _load(engine, path, fmt, schema, workdir, progress, lo, hi, max_problems, encoding)
    except IngestError as exc:
        if exc.msgid != m.ENCODING_INVALID or encoding != "utf-8" or not sample_is_ascii(path):
            raise
        # The sample was plain ASCII and a later line is not UTF-8: GB18030 (GBK) is the other encoding in
        # use here. (Had the sample held UTF-8 Chinese text, the file is UTF-8 and the bad bytes an error.)
        engine.fetch(f"DROP TABLE IF EXISTS {TYPED}")
        try:
            return _load(engine, path, fmt, schema, workdir, progress, lo, hi, max_problems, "gb18030")
        except IngestError as again:
            if again.msgid == m.ENCODING_INVALID:
                raise exc from None
            raise


def _load(engine: Engine, path: Path, fmt: str, schema: TableSchema, workdir: Path, progress: Progress,
          lo: float, hi: float, max_problems: int, encoding: str) -> Staged:
    source = path
    if encoding not in ("utf-8", "utf-8-sig"):
        source = workdir / "utf8.csv"
        size = max(path.stat().st_size, 1)
        step = progress.span(lo, lo + (hi - lo) * 0.3)
        transcode_to_utf8(path, source, encoding, on_bytes=lambda n: step(n / size))
        lo += (hi - lo) * 0.3
    delimiter = "\t" if fmt == "tsv" else sniff_csv(source, "utf-8-sig")[0]
    cells = read_header(source, delimiter)
    if not any(c.strip() for c in cells):
        raise IngestError(m.HEADER_ABSENT, expected=expected_names(schema))
    labels = [str(i + 1) for i in range(len(cells))]
    fields, problems = match_columns(cells, schema, labels)
    if problems:
        if not looks_like_header(cells):
            problems.insert(0, RowProblem(1, None, None, m.HEADER_NOT_A_HEADER, {"expected": expected_names(schema)}))
        raise IngestRejected(problems)
    width = len(cells)
    staged = Staged([StagedColumn(f"c{i}", spec, label) for i, (spec, label) in enumerate(zip(fields, labels,
                                                                                            strict=True))],
                    ProblemLog(max_problems), source_sql=_reader_sql(source, delimiter, width), encoding=encoding,
                    delimiter=delimiter, has_line_column=False,
                    line_of=lambda rowids: record_lines(source, delimiter, width, rowids))
    engine.fetch(f"DROP TABLE IF EXISTS {_REJECTS}; DROP TABLE IF EXISTS {_REJECTS}_scans")
    build_typed(engine, staged, lo, hi)
    _collect_rejects(engine, source, encoding, width, staged.log)
    return staged


def read_header(source: Path, delimiter: str) -> list[str]:
    """The cells of the first line of a UTF-8 file (BOM allowed)."""
    text = read_text_head(source, "utf-8-sig", MAX_HEADER_BYTES)
    if not text.strip():
        raise IngestError(m.FILE_EMPTY)
    if "\n" not in text and "\r" not in text and len(text.encode("utf-8")) >= MAX_HEADER_BYTES:
        raise IngestError(m.HEADER_TOO_LONG, limit=MAX_HEADER_BYTES)
    try:
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        first = []
    return first


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _reader_sql(source: Path, delimiter: str, width: int) -> str:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    return (f"read_csv({_literal(str(source))}, header = true, columns = {columns}, delim = {_literal(delimiter)}, "
            "quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, null_padding = false, "
            f"encoding = 'utf-8', store_rejects = true, rejects_table = '{_REJECTS}', "
            f"rejects_scan = '{_REJECTS}_scans', rejects_limit = {REJECTS_LIMIT}, max_line_size = {MAX_LINE_BYTES})")


def _collect_rejects(engine: Engine, source: Path, encoding: str, width: int, log: ProblemLog) -> None:
    """Turn DuckDB's rejected lines into problems. DuckDB's own line numbers count records, not the line
    breaks inside quoted values, so lines are recounted from where each rejected line starts."""
    rows = engine.fetch(f"SELECT line, error_type::VARCHAR, list(error_message), min(column_idx), "
                        f"min(line_byte_position) FROM {_REJECTS} GROUP BY line, error_type ORDER BY line")
    if any(kind == "INVALID ENCODING" for _, kind, *_ in rows) and encoding in ("utf-8", "utf-8-sig"):
        raise find_invalid_utf8(source) or IngestError(m.ENCODING_INVALID, line=rows[0][0], offset=rows[0][4],
                                                        encoding="UTF-8")
    lines = physical_lines(source, [r[4] for r in rows[: log.limit * 2]])
    seen: set[int] = set()
    for record, kind, messages, column, offset in rows:
        line = lines.get(offset, record)
        if line in seen:
            continue  # one problem per line is enough
        seen.add(line)
        found = [int(x) for msg in messages for x in _FOUND.findall(msg or "")]
        if kind == "MISSING COLUMNS":
            params = {"found": min(found, default=0), "expected": width}
            log.add(RowProblem(line, None, None, m.ROW_FIELD_COUNT, params))
        elif kind == "TOO MANY COLUMNS":
            params = {"found": max(found, default=width + 1), "expected": width}
            log.add(RowProblem(line, None, None, m.ROW_FIELD_COUNT, params))
        elif kind == "UNQUOTED VALUE":
            log.add(RowProblem(line, None if column is None else str(column), None, m.ROW_BAD_QUOTE, {}))
        elif kind == "LINE SIZE OVER MAXIMUM":
            params = {"limit": MAX_LINE_BYTES, "field_limit": MAX_FIELD_BYTES}
            log.add(RowProblem(line, None, None, m.ROW_TOO_LONG, params))
        else:
            log.add(RowProblem(line, None, None, m.ROW_UNREADABLE, {"detail": (messages[0] or kind)[:200]}))
    if len(rows) >= REJECTS_LIMIT:
        log.exact = False


def physical_lines(source: Path, offsets: list[int | None]) -> dict[int, int]:
    """The line (counting every line break) of the first byte at or after each offset that is not a line break
    (DuckDB may place a line's start on the break or blank line before it), in one streamed pass."""
    wanted = sorted({o for o in offsets if o is not None})
    found: dict[int, int] = {}
    if not wanted:
        return found
    newlines, start, i = 0, 0, 0
    with source.open("rb") as f:
        while i < len(wanted):
            chunk = f.read(CHUNK_BYTES)
            if not chunk:
                break
            end = start + len(chunk)
            while i < len(wanted) and wanted[i] < end:
                at = wanted[i] - start
                while at < len(chunk) - 1 and chunk[at] in b"\r\n":
                    at += 1
                found[wanted[i]] = newlines + chunk.count(b"\n", 0, at) + 1
                i += 1
            newlines += chunk.count(b"\n")
            start = end
    return found


def record_lines(source: Path, delimiter: str, width: int, rowids: list[int]) -> dict[int, int]:
    """The line where each staged row (by row id) starts, found by reading the file again with Python's csv
    module and skipping what DuckDB skips (blank lines, lines with the wrong number of fields).

    Only runs when a file is rejected, and only as far as the last row asked for. A row it cannot place (the
    file broke the csv module first) is left out; the caller then counts one line per row."""
    wanted = sorted(set(rowids))
    found: dict[int, int] = {}
    if not wanted:
        return found
    with source.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            next(reader)
            start, index, target = reader.line_num + 1, 0, 0
            for record in reader:
                if record and len(record) == width:
                    if index == wanted[target]:
                        found[index] = start
                        target += 1
                        if target == len(wanted):
                            break
                    index += 1
                start = reader.line_num + 1
        except (csv.Error, StopIteration):
            pass
    return found
