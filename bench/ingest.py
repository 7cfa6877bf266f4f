"""Ingest: the 1M-row register from CSV to a published, queryable version, ours vs the peers' load paths.

* ours: ``bench.platform ingest`` in a fresh process per run: upload placed, then timed from the queued ingest
  run to the published version (detection, type checks of every value, Parquet, fsync, quality report, the
  version row and the entry's dates committed). Peak memory: the process tree's peak RSS.
* sqlite-utils: ``sqlite-utils insert DB companies FILE --csv`` (version 4 detects column types by default), the
  whole command timed; a fresh database file per run. Its last database is the one Datasette serves.
* PostgreSQL COPY: ``CREATE TABLE`` with 11 ``text`` columns and ``COPY ... FROM STDIN (FORMAT csv, HEADER)``
  streamed by psycopg, as CKAN's xloader does, timed in this process; peak memory is that of the server
  backend process (sampled; it includes the shared buffers it touched).

Runs are interleaved (ours UTF-8, ours GBK, COPY, sqlite-utils, then again) so that a busy moment of the
machine falls on every contender alike.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import psycopg

from .common import PEERS_BIN, RssSampler, log, reset_peak_rss, run_measured, summary
from .gen import COLUMNS


def ours(platform: dict, src: Path) -> dict:
    m = run_measured([sys.executable, "-m", "bench.platform", "ingest", platform["var_dir"],
                      platform["database_url"], str(platform["entry_id"]), str(src)])
    result = json.loads(m.stdout.strip().splitlines()[-1])
    result.update(process_seconds=m.seconds, peak_rss_mb=m.peak_rss_mb)
    return result


def row_file(platform: dict, version_id: int) -> dict:
    """The row file of the served version (job ``datastore.row_file``, after publication), in a fresh process."""
    m = run_measured([sys.executable, "-m", "bench.platform", "row-file", platform["var_dir"],
                      platform["database_url"], str(version_id)])
    result = json.loads(m.stdout.strip().splitlines()[-1])
    result.update(process_seconds=m.seconds, peak_rss_mb=m.peak_rss_mb)
    return result


def sqlite_utils(src: Path, db: Path) -> dict:
    db.unlink(missing_ok=True)
    m = run_measured([str(PEERS_BIN / "sqlite-utils"), "insert", str(db), "companies", str(src), "--csv"])
    return {"seconds": m.seconds, "peak_rss_mb": m.peak_rss_mb}


def pg_copy(dsn: str, src: Path) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS companies")
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        reset_peak_rss(backend)
        with RssSampler(lambda: [backend], interval=0.01) as sampler:
            start = time.perf_counter()
            with conn.transaction():
                conn.execute("CREATE TABLE companies (" + ", ".join(f'"{c}" text' for c in COLUMNS) + ")")
                with conn.cursor() as cur, cur.copy("COPY companies FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                        src.open("rb") as f:
                    while data := f.read(1 << 20):
                        copy.write(data)
            seconds = time.perf_counter() - start
        rows = conn.execute("SELECT count(*) FROM companies").fetchone()[0]
    return {"seconds": seconds, "peak_rss_mb": sampler.peak_kb / 1024, "rows": rows}


def measure(platform: dict, csvs: dict[str, Path], pg_dsn: str, work: Path, runs: int,
            sqlite_runs: int) -> dict:
    samples: dict[str, list[dict]] = {"ours_utf8": [], "ours_gbk": [], "pg_copy": [], "sqlite_utils": []}
    db = work / "companies.db"
    for i in range(max(runs, sqlite_runs)):
        if i < runs:
            samples["ours_utf8"].append(ours(platform, csvs["utf-8"]))
            samples["ours_gbk"].append(ours(platform, csvs["gbk"]))
            samples["pg_copy"].append(pg_copy(pg_dsn, csvs["utf-8"]))
        if i < sqlite_runs:
            samples["sqlite_utils"].append(sqlite_utils(csvs["utf-8"], db))
        log("ingest run {}: ours {:.2f} s UTF-8 / {:.2f} s GBK, COPY {:.2f} s{}".format(
            i + 1, samples["ours_utf8"][-1]["seconds"], samples["ours_gbk"][-1]["seconds"],
            samples["pg_copy"][-1]["seconds"],
            f", sqlite-utils {samples['sqlite_utils'][-1]['seconds']:.1f} s" if i < sqlite_runs else ""))
    out: dict = {"datasette_db": str(db), "samples": samples}
    for key, runs_ in samples.items():
        out[key] = {"seconds": summary([r["seconds"] for r in runs_]),
                    "peak_rss_mb": summary([r["peak_rss_mb"] for r in runs_])}
        if key.startswith("ours"):
            out[key]["process_seconds"] = summary([r["process_seconds"] for r in runs_])
    last = samples["ours_gbk"][-1]  # the last ingest: its version is the current one, served by the API
    out["published"] = {k: last[k] for k in ("rows", "parquet", "parquet_bytes", "quality_score", "quality_grade",
                                             "version")}
    out["row_file"] = row_file(platform, last["version_id"])
    log(f"row file of the served version: {out['row_file']['seconds']:.2f} s, "
        f"{out['row_file']['bytes'] / 1e6:.0f} MB")
    out["gbk_encoding_detected"] = samples["ours_gbk"][-1]["encoding"]
    return out
