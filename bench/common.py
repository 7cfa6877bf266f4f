"""Shared helpers of the benchmark: paths, statistics, timing, subprocesses with their peak memory, servers."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = Path(os.environ.get("KAIFANG_BENCH_WORK", BENCH / "work"))
PEERS_VENV = BENCH / ".venv-peers"
PEERS_BIN = PEERS_VENV / "bin"
OUR_BIN = Path(sys.executable).parent
RESULTS_JSON = WORK / "results.json"
PG_DSN = os.environ.get("KAIFANG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- statistics -------------------------------------------------------------------------------------------

def p95(values: Sequence[float]) -> float:
    """The 95th percentile by the nearest-rank method (with fewer than 20 values, the largest or close to it)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary(values: Sequence[float], keep: bool = True) -> dict[str, Any]:
    """Median, p95 (nearest rank), min, max, the number of runs and (``keep``) every value."""
    out = {"median": statistics.median(values), "p95": p95(values), "min": min(values), "max": max(values),
           "n": len(values)}
    if keep:
        out["values"] = [round(v, 6) for v in values]
    return out


# --- results file -----------------------------------------------------------------------------------------

def load_results() -> dict[str, Any]:
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {}


def save_results(results: dict[str, Any]) -> None:
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS_JSON.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    tmp.replace(RESULTS_JSON)


# --- subprocesses -----------------------------------------------------------------------------------------

@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float  # the larger of the child's own peak (wait4) and the sampled peak of its process tree
    stdout: str
    stderr: str
    returncode: int


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (read from /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children_of(p))
    return out


def run_measured(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                 stdin_path: Path | None = None, check: bool = True) -> Measured:
    """Run ``cmd``; return its wall time and peak memory: the child's own peak RSS from ``wait4`` (which also
    covers descendants it waited for, one at a time) or, when larger, the peak of the whole process tree
    summed, sampled every 20 ms (helpers running at the same time)."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdin=stdin, stdout=out, stderr=err)
            with RssSampler(lambda: process_tree(proc.pid)) as sampler:
                _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if stdin_path:
                stdin.close()
        out.seek(0)
        err.seek(0)
        result = Measured(seconds, max(usage.ru_maxrss, sampler.peak_kb) / 1024, out.read().decode(errors="replace"),
                          err.read().decode(errors="replace"), proc.returncode)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{result.stderr[-4000:]}")
    return result


class RssSampler:
    """Samples the resident set size (summed over a process tree) of a running process every few ms, for
    processes we do not wait for ourselves (a PostgreSQL backend, a server)."""

    def __init__(self, pids: Callable[[], list[int]], interval: float = 0.02) -> None:
        import threading

        self._pids = pids
        self._interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(rss_kb(pid) for pid in self._pids())
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def proc_status(pid: int, key: str) -> int:
    """A ``kB`` value of /proc/<pid>/status (VmRSS, VmHWM), 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return 0


def rss_kb(pid: int) -> int:
    return proc_status(pid, "VmRSS")


def reset_peak_rss(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux ``clear_refs`` 5). False where not permitted."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


# --- servers ----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Server:
    """A server process started in its own process group, stopped by that group id (only what we started)."""

    def __init__(self, name: str, cmd: Sequence[str], port: int, health: str, env: dict[str, str] | None = None,
                 logfile: Path | None = None) -> None:
        self.name, self.cmd, self.port, self.health, self.env = name, list(cmd), port, health, env
        self.logfile = logfile or WORK / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> Server:
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=ROOT)
        out.close()
        wait_http(self.base + self.health, timeout, self.proc)
        return self

    def pids(self) -> list[int]:
        """The server process and its worker processes."""
        if self.proc is None:
            return []
        return [self.proc.pid, *children_of(self.proc.pid)]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def kaifang_env(var_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of the platform under test: its own var dir and database, no rate limit in the way,
    no background worker thread, and nothing inherited from a developer's KAIFANG_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIFANG_")}
    env.update({
        "KAIFANG_ENV": "development", "KAIFANG_VAR_DIR": str(var_dir), "KAIFANG_DATABASE_URL": database_url,
        "KAIFANG_JOBS_BACKEND": "embedded", "KAIFANG_JOBS_EMBEDDED_WORKER": "false",
        "KAIFANG_RATE_LIMIT_ANONYMOUS": "1000000000", "KAIFANG_RATE_LIMIT_IDENTIFIED": "1000000000",
        "KAIFANG_MAIL_BACKEND": "file", "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env
