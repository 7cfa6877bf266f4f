"""Timing probe for ingest and the quality report (not collected by pytest: the name does not start with test_).

Generates a 1M-row, 11-column Chinese enterprise register as CSV (≈175 MB in UTF-8), in UTF-8 and GBK, then
times ``ingest_file`` and ``quality_report`` and prints peak RSS. Run it by hand::

    .venv/bin/python tests/datastore/ingest/perf_probe.py [rows] [workdir]

The measurement target (issue 3): within 2x of PostgreSQL COPY (≈4.4 s) and under 1 GB peak memory; GBK within
1.5x of UTF-8. Every step runs in a fresh subprocess so that each peak RSS is its own.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

from kaifang.accounts.uscc import check_char
from kaifang.datastore.schema import FieldFormat, FieldSpec, FieldType, TableSchema

SCHEMA = TableSchema((
    FieldSpec("uscc", "统一社会信用代码", format=FieldFormat.USCC, required=True),
    FieldSpec("name", "企业名称", required=True),
    FieldSpec("legal_person", "法定代表人"),
    FieldSpec("id_card", "法定代表人身份证号", format=FieldFormat.ID_CARD),
    FieldSpec("registered_capital", "注册资本（万元）", FieldType.DECIMAL),
    FieldSpec("established", "成立日期", FieldType.DATE),
    FieldSpec("district", "所属区县"),
    FieldSpec("address", "住所"),
    FieldSpec("employees", "从业人数", FieldType.INTEGER),
    FieldSpec("active", "是否存续", FieldType.BOOLEAN),
    FieldSpec("updated_at", "更新时间", FieldType.DATETIME),
))

DISTRICTS = ["姑苏区", "虎丘区", "吴中区", "相城区", "吴江区", "工业园区", "常熟市", "张家港市", "昆山市", "太仓市"]
WORDS = "苏州信息科技智能制造新材料环保电子精密机械生物医药纺织丝绸贸易物流文化旅游餐饮建筑工程咨询服务"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
ROADS = ["人民路", "干将路", "星海街", "金鸡湖大道", "苏州大道东", "东环路", "长江路", "太湖东路"]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def id_card(rng: random.Random) -> str:
    body = f"3205{rng.randint(0, 99):02d}{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def uscc(rng: random.Random) -> str:
    body = "9132" + f"{rng.randint(0, 9999):04d}" + "".join(rng.choice(USCC_BODY[:10]) for _ in range(2))
    body += "".join(rng.choice(USCC_BODY) for _ in range(7))
    return body + check_char(body)


def rows(n: int, seed: int = 7):
    rng = random.Random(seed)
    for i in range(n):
        name = "苏州" + "".join(rng.choice(WORDS) for _ in range(rng.randint(4, 8))) + "有限公司"
        yield [
            uscc(rng), name, rng.choice(SURNAMES) + "".join(rng.choice(WORDS) for _ in range(2)), id_card(rng),
            f"{rng.randint(10, 500000) / 100:.2f}",
            f"{rng.randint(1985, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", rng.choice(DISTRICTS),
            f"苏州市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}幢",
            str(rng.randint(1, 5000)), rng.choice(("true", "false", "是", "否")),
            f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{i % 60:02d}:00",
        ]


def write_csv(path: Path, n: int, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        out.write(",".join(f.name for f in SCHEMA.fields) + "\n")
        batch: list[str] = []
        for r in rows(n):
            batch.append(",".join(r))
            if len(batch) == 10000:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")
    return path


def _step(kind: str, src: str, dest: str) -> None:
    """Run one timed step in this (fresh) process and print a result line."""
    import resource

    from kaifang.datastore.ingest import ingest_file
    from kaifang.datastore.quality import quality_report

    start = time.perf_counter()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    if kind == "ingest":
        result = ingest_file(Path(src), Path(src).name, SCHEMA, Path(dest))
        what = f"{result.row_count} rows, {result.encoding}, parquet {result.size_bytes / 1e6:.1f} MB"
    else:
        report = quality_report(Path(dest), SCHEMA)
        what = f"score {report.score} ({report.grade}), {report.duplicate_rows} duplicates"
    took = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_start.ru_utime - cpu_start.ru_stime
    peak = usage.ru_maxrss / 1024
    print(f"{kind:8s} {Path(src).name:18s} {took:6.2f} s (CPU {cpu:5.2f} s)  peak RSS {peak:5.0f} MB  {what}",
          flush=True)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/tmp/kaifang-perf")
    work.mkdir(parents=True, exist_ok=True)
    for enc in ("utf-8", "gbk"):
        src = work / f"{n}-{enc}.csv"
        if not src.exists():
            write_csv(src, n, enc)
        print(f"{src.name}: {src.stat().st_size / 1e6:.1f} MB", flush=True)
        dest = work / f"{n}-{enc}.parquet"
        dest.unlink(missing_ok=True)
        for kind in ("ingest", "quality"):
            subprocess.run([sys.executable, __file__, "--step", kind, str(src), str(dest)], check=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        _step(*sys.argv[2:5])
    else:
        main()
