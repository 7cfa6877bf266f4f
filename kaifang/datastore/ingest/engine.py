"""A private DuckDB connection for one ingest, and progress reporting while its long statements run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

# Memory DuckDB may use for one ingest; beyond it the staged table spills to the work directory. With the
# Python process and Arrow around it, peak RSS stays under 1 GB (measured by tests/datastore/ingest/perf_probe.py).
MEMORY_LIMIT = "640MB"
_POLL_SECONDS = 0.1


class Progress:
    """Calls ``callback`` with a fraction 0..1 when it has grown by at least 1 %, and at 0 and 1.

    The callback runs in the caller's thread; whatever it raises aborts the ingest."""

    def __init__(self, callback: Callable[[float], None] | None) -> None:
        self.callback = callback
        self.last = -1.0

    def __call__(self, fraction: float) -> None:
        if self.callback is None:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        if fraction - self.last >= 0.01 or (fraction in (0.0, 1.0) and fraction != self.last):
            self.last = fraction
            self.callback(fraction)

    def span(self, lo: float, hi: float) -> Callable[[float], None]:
        """A reporter for one step that maps its own 0..1 onto lo..hi."""
        return lambda part: self(lo + (hi - lo) * min(max(part, 0.0), 1.0))


class Engine:
    """One in-memory DuckDB database in the ingest's work directory (temporary files go there too)."""

    def __init__(self, workdir: Path, progress: Progress) -> None:
        self.progress = progress
        self.con = duckdb.connect(config={
            "memory_limit": MEMORY_LIMIT, "temp_directory": str(workdir / "duckdb.tmp"),
            "preserve_insertion_order": True, "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        })
        self.con.execute("SET enable_progress_bar = true")  # needed for query_progress(); printing stays off
        self.con.execute("SET enable_progress_bar_print = false")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def run(self, sql: str, lo: float, hi: float) -> list[tuple]:
        """Execute a long statement, reporting its progress onto lo..hi of the whole ingest.

        The statement runs in a helper thread so that this thread can poll DuckDB's progress and call the
        callback; if the callback (or anything else here) raises, the statement is interrupted first.
        """
        if self.progress.callback is None:
            return self.fetch(sql)
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["rows"] = self.con.execute(sql).fetchall()
            except BaseException as exc:  # handed to the calling thread
                outcome["error"] = exc

        self.progress(lo)
        thread = threading.Thread(target=work, name="ingest-duckdb", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(_POLL_SECONDS)
                percent = self.con.query_progress()
                if percent >= 0:
                    self.progress(lo + (hi - lo) * percent / 100)
        except BaseException:
            self.con.interrupt()
            thread.join()
            raise
        if "error" in outcome:
            raise outcome["error"]
        self.progress(hi)
        return outcome["rows"]
