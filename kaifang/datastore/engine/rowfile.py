"""A version's rows by row number: an uncompressed Arrow IPC file next to its Parquet file (the "row file").

Parquet is compressed by column chunk: reading even one row decodes the whole row group of every column
(~124,000 rows each in a 1M-row version), so a page of 50 rows spread over a sorted result, or even the first
50 rows, costs 20-100 ms of decoding on two cores (bench/). A page is therefore answered in two steps: DuckDB
finds the page's row numbers (``file_row_number``, stored as the file's last column) scanning this file's filter
and sort columns, uncompressed and memory-mapped (faster than decoding them from Parquet), and the rows come
from this file too, where a row is a few byte ranges (~1 ms for 50 rows).

The row file is an accelerator, never the source: it is written from the published Parquet after publication
(job ``datastore.row_file``), atomically (a temporary name, fsync, rename), and used only when its row count
equals the Parquet file's. Without it, queries read the Parquet file alone, as before. It takes about 6x the
Parquet file's size on disk (uncompressed), which is what makes a row cheap to reach.
"""

from __future__ import annotations

import bisect
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc

from .connection import connect

log = logging.getLogger("kaifang.datastore")

SUFFIX = ".rows.arrow"
ROW_NUMBER = "file_row_number"  # the last column: the row's position in the Parquet file, as DuckDB numbers it
VIEW = "kaifang_rows"  # the name under which a query sees the row file
BATCH_ROWS = 131_072  # rows per record batch: few batches (each costs ~50 µs to reach), ~25 MB to write one
_CACHE_SIZE = 32  # open row files kept per process (a memory map each, nothing read until used)

_lock = threading.Lock()
_open: OrderedDict[tuple[str, int, int], RowFile | None] = OrderedDict()


def path_for(parquet: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(parquet)}{SUFFIX}")


def write(parquet: str | os.PathLike[str], *, threads: int = 2, memory_limit: str = "512MB") -> Path:
    """Write the row file of ``parquet`` (replacing any); returns its path. Nothing is left under the final
    name unless the whole file was written and synced."""
    target = path_for(parquet)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con = connect(threads=threads, memory_limit=memory_limit, dedicated=True)
    try:
        # ``*`` of a file read with its row numbers ends with the ``file_row_number`` column.
        reader = con.sql(f"SELECT * FROM read_parquet(?, {ROW_NUMBER}=true)",
                         params=[os.fspath(parquet)]).to_arrow_reader(BATCH_ROWS)
        with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, reader.schema) as writer:
            pending: list[pa.RecordBatch] = []
            held = 0
            for batch in reader:  # re-cut into batches of exactly BATCH_ROWS rows (the last one shorter)
                pending.append(batch)
                held += batch.num_rows
                while held >= BATCH_ROWS:
                    table = pa.Table.from_batches(pending, schema=reader.schema)
                    writer.write_table(table.slice(0, BATCH_ROWS), max_chunksize=BATCH_ROWS)
                    rest = table.slice(BATCH_ROWS)
                    pending, held = rest.to_batches(), rest.num_rows
            if held:
                writer.write_table(pa.Table.from_batches(pending, schema=reader.schema), max_chunksize=BATCH_ROWS)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return target


class RowFile:
    """An open row file: ``fetch`` returns the rows at given row numbers (0-based, as ``file_row_number``);
    ``register`` makes it a table of a DuckDB connection (``VIEW``, with the ``file_row_number`` column), which
    DuckDB scans from memory without decompressing anything."""

    def __init__(self, path: Path) -> None:
        self._reader = ipc.open_file(pa.memory_map(str(path)))
        self._batches = [self._reader.get_batch(i) for i in range(self._reader.num_record_batches)]
        self.table = pa.Table.from_batches(self._batches, schema=self._reader.schema)  # zero-copy, mapped
        self.starts: list[int] = []
        total = 0
        for batch in self._batches:
            self.starts.append(total)
            total += batch.num_rows
        self.num_rows = total
        names = self._reader.schema.names
        if not names or names[-1] != ROW_NUMBER or self._reader.schema.field(len(names) - 1).type != pa.int64():
            raise ValueError(f"no {ROW_NUMBER} column")
        self.columns = names[:-1]

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        con.register(VIEW, self.table)

    def fetch(self, row_numbers: Sequence[int], columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows at ``row_numbers``, in that order, as tuples of ``columns``."""
        if not row_numbers:
            return []
        parts = []
        for n in row_numbers:
            if not 0 <= n < self.num_rows:
                raise IndexError(f"row {n} is outside the file (0..{self.num_rows - 1})")
            i = bisect.bisect_right(self.starts, n) - 1
            parts.append(self._batches[i].slice(n - self.starts[i], 1))
        table = pa.Table.from_batches(parts).select(list(columns))
        values = [table.column(c).to_pylist() for c in columns]
        return list(zip(*values, strict=True))


def open_for(parquet: str | os.PathLike[str]) -> RowFile | None:
    """The row file of ``parquet`` if there is a complete one, else None (the caller reads the Parquet file)."""
    path = path_for(parquet)
    try:
        st = path.stat()
    except FileNotFoundError:
        with _lock:  # a deleted row file: let go of its memory map
            for key in [k for k in _open if k[0] == str(path)]:
                del _open[key]
        return None
    key = (str(path), st.st_ino, st.st_mtime_ns)
    with _lock:
        if key in _open:
            _open.move_to_end(key)
            return _open[key]
    found: RowFile | None
    try:
        found = RowFile(path)
        expected = _parquet_rows(parquet)
        if found.num_rows != expected:
            log.warning("row file %s has %s rows, its Parquet file %s: not used", path, found.num_rows, expected)
            found = None
    except (OSError, ValueError, pa.ArrowException, duckdb.Error) as exc:
        log.warning("row file %s cannot be read (%s): not used", path, exc)
        found = None
    with _lock:
        _open[key] = found
        while len(_open) > _CACHE_SIZE:
            _open.popitem(last=False)
    return found


def _parquet_rows(parquet: str | os.PathLike[str]) -> int:
    con = connect()
    try:
        return int(con.execute("SELECT SUM(num_rows) FROM parquet_file_metadata(?)", [os.fspath(parquet)])
                   .fetchall()[0][0] or 0)
    finally:
        con.close()
