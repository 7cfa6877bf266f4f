"""A16.2: downloads stream with bounded memory. Exporting a 1M-row version in each format keeps the exporting
process's peak RSS growth under 300 MB; each export runs in a fresh subprocess so that its peak is its own.

The peak is the kernel's ``VmHWM`` of the subprocess: ``ru_maxrss`` would not do, because Linux carries the
parent's high-water mark over ``exec`` into the child, so under a large pytest process it reads "no growth"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.datastore.engine.factories import SCHEMA, write_companies

ROWS = 1_000_000
LIMIT_MB = 300
ROOT = Path(__file__).resolve().parents[3]

EXPORT = """
import json, resource, sys, time

def peak_kb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

from kaifang.datastore.engine import Projection, export_file
from kaifang.datastore.engine.connection import connect
from kaifang.datastore.schema import TableSchema

source, fmt, dest, bom, schema = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5]
schema = TableSchema.from_json(json.loads(schema))
con = connect(dedicated=True)  # load DuckDB and its first database before the baseline
con.execute("SELECT 1").fetchall()
con.close()
base = peak_kb()
started = time.perf_counter()
export_file(source, schema, fmt, Projection(), dest, bom=bom)
peak = peak_kb()
print(json.dumps({"growth_mb": (peak - base) / 1024, "seconds": time.perf_counter() - started}))
"""


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    return write_companies(tmp_path_factory.mktemp("memory") / "million.parquet", ROWS)


@pytest.mark.parametrize(("fmt", "bom"), [("csv", True), ("xml", False), ("xlsx", False), ("json", False),
                                          ("parquet", False)])
def test_a16_2_export_memory_stays_bounded_on_a_million_rows(million, tmp_path, fmt, bom):
    dest = tmp_path / f"out.{fmt}"
    done = subprocess.run(
        [sys.executable, "-c", EXPORT, str(million), fmt, str(dest), "1" if bom else "0",
         json.dumps(SCHEMA.to_json())],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert 1 < result["growth_mb"] < LIMIT_MB, result  # above 1: the measure does see the export
    assert dest.stat().st_size > 10_000_000
    if fmt == "csv":
        with open(dest, "rb") as f:
            assert f.read(3) == b"\xef\xbb\xbf"
            assert sum(1 for _ in f) >= ROWS + 1  # header + rows (some names hold a newline)
