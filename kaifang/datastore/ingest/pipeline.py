"""Ingest: an uploaded table becomes one immutable Parquet file, or nothing at all (A9.2).

Steps: refuse files over the size limit before reading; detect the format (and for text, the encoding and the
delimiter); stage every value as text in a private DuckDB database; match the header with the declared data
items; check every value against its type in SQL; and only when there is no problem at all, convert to the
declared types and write ``dest.with_suffix('.parquet.part')``, fsync it and rename it to ``dest``. Whatever
fails or is interrupted on the way leaves no ``dest``; the ``.part`` file and the work directory (a hidden
``.ingest-*`` folder beside ``dest``) are removed in a ``finally``. A process killed outright leaves them
behind, invisible to readers; ``remove_stale_work`` clears them.

A file with a header and no rows is accepted as an empty table, with a notice in ``IngestResult.problems``
(that list holds only notices: any real problem rejects the file with ``IngestRejected``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from kaifang.datastore.schema import TableSchema

from . import errors as m
from .convert import build_typed, find_problems, write_parquet
from .csvsource import load_csv
from .detect import detect_encoding, detect_format
from .engine import Engine, Progress
from .errors import IngestError, IngestRejected, RowProblem
from .excel import xls_rows, xlsx_rows
from .jsonsource import json_array_records, json_lines_records
from .limits import DEFAULT_MAX_BYTES
from .pyrows import stage_records, stage_tabular
from .staging import ProblemLog, Staged
from .xmlsource import xml_encoding, xml_records

WORK_PREFIX = ".ingest-"
PART_SUFFIX = ".parquet.part"


@dataclass(frozen=True)
class IngestResult:
    row_count: int
    field_count: int
    format: str  # csv | tsv | xlsx | xls | json | jsonl | xml
    encoding: str | None  # for text formats: utf-8, utf-8-sig, gb18030, utf-16-le, utf-16-be
    delimiter: str | None  # for CSV and TSV
    parquet_path: Path
    size_bytes: int  # of the Parquet file
    sha256: str  # of the Parquet file, hex
    problems: list[RowProblem] = field(default_factory=list)  # notices only (e.g. NOTICE_NO_ROWS)
    source_bytes: int = 0


def ingest_file(src: Path, filename: str, schema: TableSchema, dest: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                max_problems: int = 100, on_progress: Callable[[float], None] | None = None) -> IngestResult:
    """Convert the uploaded file ``src`` (named ``filename`` by the agency) to the Parquet file ``dest``.

    Raises IngestError for a file refused as a whole, IngestRejected (listing up to ``max_problems`` problems
    and counting all) for problems in the header, rows or values, FileExistsError if ``dest`` exists (a
    published version is never overwritten). ``on_progress`` gets a fraction 0..1 at least every 5 %.
    """
    src, dest = Path(src), Path(dest)
    if not schema.fields:
        raise ValueError("the schema declares no data items")
    if dest.exists():
        raise FileExistsError(dest)
    size = src.stat().st_size
    if size > max_bytes:
        raise IngestError(m.FILE_TOO_LARGE, size=size, limit=max_bytes)
    if size == 0:
        raise IngestError(m.FILE_EMPTY)
    progress = Progress(on_progress)
    progress(0.0)
    fmt = detect_format(src, filename)
    read_end = 0.6 if fmt in ("csv", "tsv") else 0.8  # reading (and, for CSV, converting) vs writing
    part = dest.with_suffix(PART_SUFFIX)
    workdir = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=dest.parent))
    try:
        with Engine(workdir, progress) as engine:
            staged = _stage(engine, fmt, src, filename, schema, workdir, progress, read_end, max_problems)
            problems, total = find_problems(engine, staged, max_problems)
            if staged.log.total or total:
                merged = sorted(staged.log.problems + problems, key=lambda p: p.line)[:max_problems]
                raise IngestRejected(merged, staged.log.total + total, total_is_exact=staged.log.exact)
            rows = write_parquet(engine, staged, schema, part, read_end, 0.95)
        _fsync(part)
        with part.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        progress(1.0)  # the last call: nothing can fail in the callback once the version is published
        os.replace(part, dest)
        _fsync(dest.parent)
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)
    notices = list(staged.notices)
    if rows == 0:
        notices.append(RowProblem(1, None, None, m.NOTICE_NO_ROWS))
    return IngestResult(row_count=rows, field_count=len(schema.fields), format=fmt, encoding=staged.encoding,
                        delimiter=staged.delimiter, parquet_path=dest, size_bytes=dest.stat().st_size,
                        sha256=digest, problems=notices, source_bytes=size)


def _stage(engine: Engine, fmt: str, src: Path, filename: str, schema: TableSchema, workdir: Path,
           progress: Progress, read_end: float, max_problems: int) -> Staged:
    if fmt in ("csv", "tsv"):
        return load_csv(engine, src, fmt, schema, workdir, progress, 0.0, read_end, max_problems)
    step = progress.span(0.0, read_end * 0.85)
    size = max(src.stat().st_size, 1)
    if fmt in ("xlsx", "xls"):
        with closing((xlsx_rows if fmt == "xlsx" else xls_rows)(src, filename, step)) as rows:
            staged = stage_tabular(engine, rows, schema, max_problems)
    else:
        log = ProblemLog(max_problems)
        if fmt == "xml":
            encoding = xml_encoding(src)
            records = xml_records(src, log, lambda n: step(n / size))
        else:
            encoding = detect_encoding(src)
            read = json_array_records if fmt == "json" else json_lines_records
            records = read(src, encoding, lambda n: step(n / size))
        with closing(records):
            staged = stage_records(engine, records, schema, log)
        staged.encoding = encoding
    build_typed(engine, staged, read_end * 0.85, read_end)
    return staged


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_work(directory: Path, older_than_seconds: float = 86400.0) -> int:
    """Remove what killed ingests left in ``directory`` (``.ingest-*`` folders, ``*.parquet.part`` files) that is
    older than the threshold, so it cannot belong to a running ingest. Returns how many were removed."""
    limit = time.time() - older_than_seconds
    removed = 0
    for path in Path(directory).iterdir():
        stale = path.name.startswith(WORK_PREFIX) or path.name.endswith(PART_SUFFIX)
        if stale and path.lstat().st_mtime < limit:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed
