"""DuckDB connections for reading published Parquet files, and the time limit per query (A19.1).

Opening an in-memory DuckDB database costs ~28 ms (measured), more than a whole filtered page, so each
process keeps one in-memory database per (threads, memory limit) setting and every request gets its own
connection to it (``cursor()``, ~0.01 ms). Connections never share a query, so ``interrupt()`` stops one
request only; the memory limit bounds all of a process's queries together. The database holds no state:
every query reads the Parquet file directly, so processes share nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

from .errors import QueryTimeout

T = TypeVar("T")

_lock = threading.Lock()
_databases: dict[tuple[int, int, str, str | None], duckdb.DuckDBPyConnection] = {}
# How long to wait for an interrupted query to unwind before giving up on it (it keeps a daemon thread).
_UNWIND_S = 5.0
# Queries running at once in a process; the others wait their turn (within their time limit). Each query
# already uses several DuckDB threads, so more at once only share the same cores, and they share the
# process's memory limit: 32 concurrent 1M-row pages ran a 2-worker server out of memory (bench/).
MAX_CONCURRENT_QUERIES = max(2, os.cpu_count() or 2)
_slots = threading.BoundedSemaphore(MAX_CONCURRENT_QUERIES)


# The value types duckdb.connect() accepts in its ``config``.
DuckConfig = dict[str, str | bool | int | float | list[str]]


def _config(threads: int, memory_limit: str, temp_directory: str | None) -> DuckConfig:
    config: DuckConfig = {
        "threads": int(threads), "memory_limit": memory_limit,
        # Never fetch anything at run time: government networks are often offline.
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "preserve_insertion_order": True,  # downloads keep the file's row order
    }
    if temp_directory:
        config["temp_directory"] = temp_directory
    return config


def connect(*, threads: int = 2, memory_limit: str = "512MB", temp_directory: str | None = None,
            dedicated: bool = False) -> duckdb.DuckDBPyConnection:
    """A new connection (the caller closes it) to this process's database for these settings.

    ``dedicated`` opens a database of its own instead (~28 ms), so that its memory limit is not shared:
    downloads use it, since one export may run for seconds."""
    if dedicated:
        return _quiet(duckdb.connect(":memory:", config=_config(threads, memory_limit, temp_directory)))
    key = (os.getpid(), int(threads), memory_limit, temp_directory)  # a forked child opens its own
    with _lock:
        db = _databases.get(key)
        if db is None:
            db = _databases[key] = duckdb.connect(":memory:", config=_config(threads, memory_limit, temp_directory))
        return _quiet(db.cursor())


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No progress bar on a server's stdout (a per-connection setting, on by default for long queries)."""
    con.execute("SET enable_progress_bar = false")
    return con


def run_with_timeout(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], T],
                     timeout_s: float) -> T:
    """Run ``work(con)`` in a worker thread; past ``timeout_s`` interrupt it and raise ``QueryTimeout``.

    At most ``MAX_CONCURRENT_QUERIES`` run at once in a process; the time spent waiting for a turn counts in
    the time limit. The worker closes ``con`` when it is done, whatever happens."""
    outcome: dict[str, object] = {}
    deadline = time.monotonic() + timeout_s

    def target() -> None:
        try:
            if not _slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                outcome["error"] = QueryTimeout(timeout_s)
                return
            try:
                outcome["value"] = work(con)
            finally:
                _slots.release()
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            con.close()

    worker = threading.Thread(target=target, name="kaifang-query", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        # Interrupt until the worker gives up: an interrupt that falls between two statements is lost.
        give_up = time.monotonic() + _UNWIND_S
        while worker.is_alive() and time.monotonic() < give_up:
            try:
                con.interrupt()
            except duckdb.Error:  # the worker closed the connection meanwhile: it has finished
                break
            worker.join(0.02)
        raise QueryTimeout(timeout_s)
    error = outcome.get("error")
    if isinstance(error, duckdb.InterruptException):
        raise QueryTimeout(timeout_s)
    if isinstance(error, BaseException):
        raise error
    return outcome["value"]  # type: ignore[return-value]
