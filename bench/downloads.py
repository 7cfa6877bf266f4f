"""Downloads of the whole 1M-row version in every format, over HTTP, from a dedicated single-process server
(``kaifang serve --workers 1``), so that the peak memory measured is the download's own.

Each run starts with an empty export cache (``<var>/files/exports``), so every run makes the file anew
(``cached_export``) and streams it: the time is from the request to the last byte. MB/s is the size of what
was received over that time. Peak memory: the server process's VmHWM, reset just before the request
(``/proc/<pid>/clear_refs``), checked against RSS sampled every 20 ms. The peers: Datasette's streamed CSV
(``.csv?_stream=on``, the only format it streams whole), and raw DuckDB's ``COPY ... TO`` a CSV file.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import httpx

from .common import RssSampler, Server, log, proc_status, reset_peak_rss, rss_kb, summary

FORMATS = ("csv", "json", "xml", "xlsx", "parquet")


def _download(base: str, path: str, pid: int) -> dict:
    before = rss_kb(pid)
    reset_peak_rss(pid)
    size = 0
    with RssSampler(lambda: [pid]) as sampler, httpx.Client(base_url=base, timeout=1800) as client:
        start = time.perf_counter()
        with client.stream("GET", path) as r:
            if r.status_code != 200:
                raise RuntimeError(f"{path} answered {r.status_code}")
            for chunk in r.iter_raw(1 << 20):
                size += len(chunk)
        seconds = time.perf_counter() - start
    peak_kb = max(proc_status(pid, "VmHWM"), sampler.peak_kb)
    return {"seconds": seconds, "bytes": size, "mb_per_s": size / 1e6 / seconds, "peak_rss_mb": peak_kb / 1024,
            "rss_before_mb": before / 1024, "growth_mb": (peak_kb - before) / 1024}


def measure(platform: dict, server: Server, runs: int, datasette: Server | None, datasette_runs: int,
            parquet: str, work: Path) -> dict:
    exports = Path(platform["var_dir"]) / "files" / "exports"
    entry = platform["entry_id"]
    pid = server.proc.pid
    httpx.get(f"{server.base}/api/v1/datasets/{entry}/records", params={"_limit": "1"}, timeout=60)  # warm up
    out: dict = {"server": "kaifang serve --workers 1", "formats": {}}
    for fmt in FORMATS:
        samples = []
        for _ in range(runs):
            shutil.rmtree(exports, ignore_errors=True)
            samples.append(_download(server.base, f"/datasets/{entry}/download/{fmt}", pid))
        log(f"download {fmt}: {samples[-1]['bytes'] / 1e6:.0f} MB at {samples[-1]['mb_per_s']:.0f} MB/s, "
            f"peak {samples[-1]['peak_rss_mb']:.0f} MB")
        out["formats"][fmt] = _summarise(samples)
    shutil.rmtree(exports, ignore_errors=True)
    if datasette is not None and datasette_runs:
        samples = [_download(datasette.base, "/companies/companies.csv?_stream=on&_size=max", datasette.proc.pid)
                   for _ in range(datasette_runs)]
        log(f"download csv from Datasette: {samples[-1]['mb_per_s']:.0f} MB/s")
        out["datasette_csv"] = _summarise(samples)
    raw = []
    con = duckdb.connect(config={"threads": 1, "memory_limit": "256MB"})
    dest = work / "raw-export.csv"
    for _ in range(runs):
        start = time.perf_counter()
        con.execute("COPY (SELECT * FROM read_parquet(?)) TO ? (FORMAT csv, HEADER true)", [parquet, str(dest)])
        seconds = time.perf_counter() - start
        size = dest.stat().st_size
        raw.append({"seconds": seconds, "bytes": size, "mb_per_s": size / 1e6 / seconds})
        dest.unlink()
    con.close()
    out["raw_duckdb_csv"] = {k: summary([s[k] for s in raw]) for k in ("seconds", "mb_per_s")}
    out["raw_duckdb_csv"]["bytes"] = raw[-1]["bytes"]
    return out


def _summarise(samples: list[dict]) -> dict:
    result = {k: summary([s[k] for s in samples]) for k in ("seconds", "mb_per_s", "peak_rss_mb", "growth_mb")}
    result["bytes"] = samples[-1]["bytes"]
    result["rss_before_mb"] = samples[-1]["rss_before_mb"]
    return result
