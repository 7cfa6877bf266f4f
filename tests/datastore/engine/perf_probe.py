"""Timing probe for the data engine (not collected by pytest: the name does not start with test_).

Generates a 1M-row, 11-column Parquet file of Suzhou enterprises, then times the data API's typical queries
end to end (parse + run, median of several runs) next to the same SQL on a bare DuckDB connection, deep
keyset pages, and every download format (MB/s and the peak RSS of a fresh subprocess). Run it by hand::

    .venv/bin/python -m tests.datastore.engine.perf_probe [rows] [workdir]

Targets (issue 3): p50 of a filtered sorted page ≲ 100 ms, facets ≲ tens of ms, overhead over raw DuckDB
≤ 2x + 10 ms, CSV download ≥ 50 MB/s, every format under 300 MB peak memory.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from kaifang.datastore.engine import FORMATS, Projection, parse_query, run_aggregate, run_records
from kaifang.datastore.engine.paging import encode_token
from tests.datastore.engine.factories import SCHEMA, write_companies
from tests.datastore.engine.test_export_memory import EXPORT

RUNS = 15
PROJ = Projection()


def paired_ms(ours: Callable[[], object], bare: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    """Medians of both, run alternately so that a busy machine slows both alike."""
    ours(), bare()
    a, b = [], []
    for _ in range(runs):
        for fn, times in ((ours, a), (bare, b)):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(a), statistics.median(b)


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    fn()  # warm the OS page cache and the Parquet metadata
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def api(path: Path, params: list[tuple[str, str]]) -> Callable[[], object]:
    def call() -> object:
        query = parse_query(params, SCHEMA, PROJ)
        if query.is_aggregate:
            return run_aggregate(path, SCHEMA, query, PROJ)
        return run_records(path, SCHEMA, query, PROJ)
    return call


def raw(con: duckdb.DuckDBPyConnection, sqls: list[tuple[str, list]]) -> Callable[[], object]:
    return lambda: [con.execute(sql, params).fetchall() for sql, params in sqls]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="kaifang-engine-probe-"))
    path = work / f"companies_{rows}.parquet"
    if not path.exists():
        t = time.perf_counter()
        write_companies(path, rows)
        print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s: {path.stat().st_size / 1e6:.1f} MB")
    con = duckdb.connect(config={"threads": 2, "memory_limit": "512MB"})
    src = "read_parquet(?)"
    p = str(path)
    cases = [
        ("filter+sort+page 50, total", [("district", "姑苏区"), ("capital__gte", "1000"), ("_sort", "-capital"),
                                        ("_limit", "50")],
         [(f"SELECT * FROM {src} WHERE district = ? AND capital >= ? ORDER BY capital DESC LIMIT 51",
           [p, "姑苏区", 1000.0]),
          (f"SELECT COUNT(*) FROM {src} WHERE district = ? AND capital >= ?", [p, "姑苏区", 1000.0])]),
        ("contains 科技 + page 50, total", [("name__contains", "科技"), ("_limit", "50")],
         [(f"SELECT * FROM {src} WHERE contains(name, ?) LIMIT 51", [p, "科技"]),
          (f"SELECT COUNT(*) FROM {src} WHERE contains(name, ?)", [p, "科技"])]),
        ("contains 科技 sorted by -founded", [("name__contains", "科技"), ("_sort", "-founded"), ("_limit", "50")],
         [(f"SELECT * FROM {src} WHERE contains(name, ?) ORDER BY founded DESC LIMIT 51", [p, "科技"]),
          (f"SELECT COUNT(*) FROM {src} WHERE contains(name, ?)", [p, "科技"])]),
        ("first page, no filter, total", [("_limit", "50")],
         [(f"SELECT * FROM {src} LIMIT 51", [p]), (f"SELECT COUNT(*) FROM {src}", [p])]),
        ("facet counts by district", [("_group_by", "district")],
         [(f"SELECT district, COUNT(*) c FROM {src} GROUP BY district ORDER BY c DESC", [p])]),
        ("count with a filter", [("industry", "制造业"), ("founded__gte", "2010-01-01"), ("_limit", "0")],
         [(f"SELECT COUNT(*) FROM {src} WHERE industry = ? AND founded >= ?", [p, "制造业", "2010-01-01"])]),
        ("grouped avg capital by industry", [("_group_by", "industry"), ("_agg", "avg:capital")],
         [(f"SELECT industry, AVG(capital), COUNT(*) FROM {src} GROUP BY industry", [p])]),
    ]
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'query':40} {'engine p50':>11} {'raw DuckDB':>11}")
    for label, params, sqls in cases:
        ours, bare = paired_ms(api(path, params), raw(con, sqls))
        print(f"{label:40} {ours:9.1f} ms {bare:9.1f} ms")
    deep_pages(path, con, rows)
    exports(path, work)


def deep_pages(path: Path, con: duckdb.DuckDBPyConnection, rows: int) -> None:
    depth = rows // 2
    p = str(path)
    print(f"\ndeep pages ({depth:,} rows in)")
    for sort in ("", "-capital"):
        params = [("_limit", "50"), ("_total", "none")] + ([("_sort", sort)] if sort else [])
        query = parse_query(params, SCHEMA, PROJ)
        order = "capital DESC NULLS LAST, file_row_number" if sort else "file_row_number"
        key_col = "capital, " if sort else ""
        seek_sql = (f"SELECT {key_col}file_row_number FROM read_parquet(?, file_row_number=true) "
                    f"ORDER BY {order} LIMIT 1 OFFSET ?")
        seek = median_ms(lambda: con.execute(seek_sql, [p, depth - 1]).fetchall(), 5)  # noqa: B023
        found = con.execute(seek_sql, [p, depth - 1]).fetchall()[0]
        token = encode_token(found[:-1], found[-1], query.shape)
        deep = parse_query([*params, ("_next", token)], SCHEMA, PROJ)
        page = median_ms(lambda: run_records(path, SCHEMA, deep, PROJ))  # noqa: B023
        offset_sql = f"SELECT * FROM read_parquet(?, file_row_number=true) ORDER BY {order} LIMIT 50 OFFSET ?"
        offset = median_ms(lambda: con.execute(offset_sql, [p, depth]).fetchall(), 5)  # noqa: B023
        label = f"sort={sort or '(file order)'}"
        print(f"  {label:22} page via token {page:7.1f} ms | token by OFFSET seek {seek:7.1f} ms | "
              f"plain OFFSET page {offset:7.1f} ms | walking there by 1000-row pages ≈ "
              f"{depth / 1000 * page / 1000:.1f} s")


def exports(path: Path, work: Path) -> None:
    print("\nexports of the whole file (fresh subprocess each: time, size, output MB/s, peak RSS growth)")
    for fmt in FORMATS:
        dest = work / f"export.{fmt}"
        done = subprocess.run([sys.executable, "-c", EXPORT, str(path), fmt, str(dest), "0",
                               json.dumps(SCHEMA.to_json())], capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        size = dest.stat().st_size / 1e6
        print(f"  {fmt:8} {result['seconds']:6.2f} s {size:8.1f} MB {size / result['seconds']:7.1f} MB/s "
              f"peak RSS +{result['growth_mb']:.0f} MB")


if __name__ == "__main__":
    main()
