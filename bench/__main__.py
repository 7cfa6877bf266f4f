"""``python -m bench`` (``make bench``): install the peers, generate the data, measure everything side by side and
write ``bench/RESULTS.md``. See bench/README.md.

Options: ``--quick`` (a small run for trying the harness: 100,000 rows, 10,000 catalog entries, fewer runs),
``--only PHASE[,PHASE]`` (ingest, api, load, downloads, catalog; the others' figures are kept from the last
results file), ``--report`` (only rewrite RESULTS.md from bench/work/results.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform as pyplatform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from . import api, catalog, downloads, gen, ingest, load, peers, report
from .common import BENCH, WORK, Server, load_results, log, save_results
from .platform import setup_platform

PHASES = ("ingest", "api", "load", "downloads", "catalog")


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) // 1024
    versions = {name: metadata.version(name) for name in ("kaifang", "duckdb", "pyarrow", "fastapi", "uvicorn",
                                                          "sqlalchemy", "psycopg", "jieba")}
    import sqlite3

    versions["python"] = pyplatform.python_version()
    versions["sqlite (ours)"] = sqlite3.sqlite_version
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "kernel": pyplatform.release(),
            "os": _os_name(), "versions": versions}


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return pyplatform.platform()


def other_load() -> list[str]:
    """Processes other than ours using the CPU now (the machine is shared: their names go into the report)."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,pcpu,comm", "--sort=-pcpu", "--no-headers"], capture_output=True,
                         text=True, check=False).stdout.splitlines()
    mine = {os.getpid()}
    busy = []
    for line in out[:10]:
        pid, ppid, cpu, comm = line.split(None, 3)
        if int(pid) not in mine and int(ppid) not in mine and float(cpu) >= 20:
            busy.append(f"{comm} ({cpu}% CPU)")
    return busy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    if args.report:
        report.write(load_results())
        return 0
    only = [p for p in args.only.split(",") if p] or list(PHASES)
    quick = args.quick
    cfg = {
        "rows": 100_000 if quick else 1_000_000, "catalog_entries": 10_000 if quick else 100_000,
        "ingest_runs": 2 if quick else 5, "sqlite_utils_runs": 1 if quick else 3, "api_runs": 3 if quick else 10,
        "load_clients": 32, "load_seconds": 5 if quick else 30, "download_runs": 1 if quick else 3,
        "datasette_csv_runs": 1, "catalog_runs": 2 if quick else 5, "quick": quick,
    }
    started = time.perf_counter()
    results = load_results() if args.only else {}
    results["config"] = cfg
    if not args.only:
        results["started"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["machine"] = machine()
    results["load_before"] = {"loadavg": os.getloadavg(), "busy": other_load()}
    WORK.mkdir(parents=True, exist_ok=True)
    servers: list[Server] = []
    pg_names: list[str] = []
    try:
        log("peers: Datasette and sqlite-utils (PyPI, pinned), PostgreSQL (local)")
        results["machine"]["versions"].update(peers.ensure_peers())
        results["machine"]["versions"]["postgresql"] = peers.ensure_postgres()
        log(f"data: {cfg['rows']:,}-row enterprise register in UTF-8 and GBK")
        t = time.perf_counter()
        csvs = gen.enterprise_csvs(cfg["rows"], WORK / "data")
        results["data"] = {**gen.enterprise_info(cfg["rows"], WORK / "data"), "seconds": time.perf_counter() - t}
        save_results(results)

        # The platform database is PostgreSQL, the shape of several web processes (README: production); the
        # embedded SQLite shape gets the same data for one informational throughput run (see bench/README.md).
        platform_db = "kaifang_bench_platform"
        if not args.only:  # a partial run (--only) reuses it, so it is kept
            pg_names.append(platform_db)
        needs_platform = bool({"api", "load", "downloads"} & set(only)) and not results.get("platform")
        if "ingest" in only or needs_platform:
            shutil.rmtree(WORK / "platform", ignore_errors=True)
            platform = setup_platform(WORK / "platform", peers.create_database(platform_db))
            name = f"kaifang_bench_{os.getpid()}"
            pg_names.append(name)
            dsn = peers.create_database(name)
            log("ingest: ours (UTF-8, GBK) vs PostgreSQL COPY vs sqlite-utils insert")
            results["ingest"] = ingest.measure(platform, csvs, dsn, WORK, cfg["ingest_runs"], cfg["sqlite_utils_runs"])
            results["platform"] = platform
            peers.drop_database(name)
            shutil.rmtree(WORK / "platform-sqlite", ignore_errors=True)
            embedded = setup_platform(WORK / "platform-sqlite")
            version = ingest.ours(embedded, csvs["utf-8"])  # not timed: the same version, for the embedded shape
            ingest.row_file(embedded, version["version_id"])
            results["platform_sqlite"] = embedded
            save_results(results)
        if {"api", "load", "downloads"} & set(only):
            platform = results["platform"]
            parquet = results["ingest"]["published"]["parquet"]
            db = Path(results["ingest"]["datasette_db"])
            ours = api.ours_server(platform, 2, "kaifang-2-workers")
            shipped = api.datasette_server(db, tuned=False)
            tuned = api.datasette_server(db, tuned=True)
        if {"api", "load"} & set(only):
            for s in (ours, shipped, tuned):
                servers.append(s.start())
        if "api" in only:
            log("data API over HTTP: ours vs Datasette (as shipped, tuned) vs raw DuckDB")
            results["api"] = api.measure(platform, parquet, db, cfg["api_runs"],
                                         {"ours": ours, "datasette": shipped, "datasette_tuned": tuned},
                                         cfg["rows"])
            save_results(results)
        if "load" in only:
            entry = platform["entry_id"]
            page = api.cases(entry, parquet, "", "", (0.0, 0))[0]
            results["load"] = {}
            embedded = api.ours_server(results["platform_sqlite"], 2, "kaifang-2-workers-sqlite")
            for key, server, path, params in (
                    ("ours", ours, f"/api/v1/datasets/{entry}/records", page.ours),
                    ("datasette", shipped, *page.datasette),
                    ("datasette_tuned", tuned, *page.datasette),
                    ("ours_sqlite", embedded, f"/api/v1/datasets/{results['platform_sqlite']['entry_id']}/records",
                     page.ours)):
                if key == "ours_sqlite":
                    servers.append(server.start())
                log(f"throughput: {cfg['load_clients']} clients for {cfg['load_seconds']} s on {server.name}")
                results["load"][key] = load.run(server.port, path, params, cfg["load_clients"], cfg["load_seconds"])
                log(f"  {results['load'][key]['rps']:.1f} requests/s, {results['load'][key]['errors']} errors")
                server.stop()  # whatever it still runs cannot disturb the next measurement
                save_results(results)
        for s in servers:
            s.stop()
        servers.clear()

        if "downloads" in only:
            log("downloads: every format of the whole version, single-process server")
            single = api.ours_server(platform, 1, "kaifang-1-worker")
            servers.append(single.start())
            peer = api.datasette_server(db, tuned=True)
            servers.append(peer.start())
            results["downloads"] = downloads.measure(platform, single, cfg["download_runs"], peer,
                                                     cfg["datasette_csv_runs"], parquet, WORK)
            for s in servers:
                s.stop()
            servers.clear()
            save_results(results)

        if "catalog" in only:
            log(f"catalog search: {cfg['catalog_entries']:,} entries on SQLite and PostgreSQL")
            prepared = catalog.prepare(cfg["catalog_entries"])
            results["catalog"] = {}
            sqlite_file = WORK / "catalog.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
            name = f"kaifang_bench_catalog_{os.getpid()}"
            pg_names.append(name)
            for key, url in (("sqlite", f"sqlite:///{sqlite_file}"), ("postgresql", peers.create_database(name))):
                loaded = catalog.load(url, prepared)
                results["catalog"][key] = {**loaded, **catalog.measure(url, cfg["catalog_runs"])}
                log(f"  {key}: keyword p95 {results['catalog'][key]['keyword']['ms']['p95']:.1f} ms, "
                    f"faceted p95 {results['catalog'][key]['faceted']['ms']['p95']:.1f} ms")
                save_results(results)
            peers.drop_database(name)
    finally:
        for s in servers:
            s.stop()
        for name in pg_names:
            peers.drop_database(name)
        results["load_after"] = {"loadavg": os.getloadavg(), "busy": other_load()}
        if args.only:  # the end-to-end figures stay those of the last full run
            results.setdefault("partial_runs", []).append({
                "phases": only, "seconds": time.perf_counter() - started,
                "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
        else:
            results["wall_seconds"] = time.perf_counter() - started
            results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        save_results(results)
    report.write(results)
    log(f"done in {results['wall_seconds'] / 60:.1f} min: {BENCH / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
