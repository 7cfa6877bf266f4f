"""The data API over HTTP on the 1M-row version: ours vs Datasette's JSON API vs raw DuckDB on the Parquet file.

Each query is asked of every contender in turn (ours, Datasette as shipped, Datasette tuned, raw DuckDB), one
warm-up round then ``runs`` timed rounds, the full response read each time. Before timing, the answers are
cross-checked (totals, counts, the first row of the deep page) so that every contender does the same work.

* ours: ``kaifang serve --workers 2`` (the product's command; anonymous caller, rate limit raised).
* Datasette as shipped: ``datasette serve companies.db`` with its defaults, the SQL and facet time limits
  raised so that the queries can finish at all (the configuration of the issue's reference figures).
* Datasette tuned: the same file in immutable mode (``-i``, counts cached) with ``suggest_facets off``, so it
  does no work beyond the query asked.
* raw DuckDB: the same SQL in this process on a warm connection (2 threads, 512 MB), no HTTP, no access
  decision, no JSON: the near-limit our engine sits on.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx

from .common import OUR_BIN, PEERS_BIN, Server, free_port, kaifang_env, log, summary

DS_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def tilde_encode(text: str) -> str:
    """Datasette's encoding of ``_next`` components."""
    return "".join(chr(b) if b in DS_SAFE else "+" if b == 32 else f"~{b:02X}" for b in text.encode())


def ours_server(platform: dict, workers: int, name: str) -> Server:
    port = free_port()
    env = kaifang_env(Path(platform["var_dir"]), platform["database_url"])
    return Server(name, [str(OUR_BIN / "kaifang"), "serve", "--host", "127.0.0.1", "--port", str(port),
                         "--workers", str(workers)], port, "/healthz", env)


def datasette_server(db: Path, tuned: bool) -> Server:
    port = free_port()
    cmd = [str(PEERS_BIN / "datasette"), "serve", *(["-i", str(db)] if tuned else [str(db)]), "--host", "127.0.0.1",
           "--port", str(port), "--setting", "sql_time_limit_ms", "600000", "--setting", "facet_time_limit_ms",
           "600000", *(["--setting", "suggest_facets", "off"] if tuned else [])]
    return Server("datasette-tuned" if tuned else "datasette", cmd, port, "/-/versions.json")


@dataclass
class Case:
    key: str
    label: str
    ours: list[tuple[str, str]]
    datasette: tuple[str, list[tuple[str, str]]]  # (path, params)
    raw: list[tuple[str, list[Any]]]
    timings: dict[str, list[float]] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)


def cases(entry_id: int, parquet: str, ours_token: str, ds_token: str, deep_key: tuple[float, int],
          deep: int = 500_000) -> list[Case]:
    src = "read_parquet(?)"
    src_rn = "read_parquet(?, file_row_number=true)"
    table = "/companies/companies.json"
    sql = "/companies.json"
    capital, rownum = deep_key
    return [
        Case("filter_sort_page", "filter + sort + page of 50, with total",
             [("district", "姑苏区"), ("capital__gte", "1000"), ("_sort", "-capital"), ("_limit", "50")],
             (table, [("district", "姑苏区"), ("capital__gte", "1000"), ("_sort_desc", "capital"), ("_size", "50")]),
             [(f"SELECT * FROM {src} WHERE district = ? AND capital >= ? ORDER BY capital DESC LIMIT 51",
               [parquet, "姑苏区", 1000.0]),
              (f"SELECT COUNT(*) FROM {src} WHERE district = ? AND capital >= ?", [parquet, "姑苏区", 1000.0])]),
        Case("contains_page", "name contains '科技' + page of 50, with total",
             [("name__contains", "科技"), ("_limit", "50")],
             (table, [("name__contains", "科技"), ("_size", "50")]),
             [(f"SELECT * FROM {src} WHERE contains(name, ?) LIMIT 51", [parquet, "科技"]),
              (f"SELECT COUNT(*) FROM {src} WHERE contains(name, ?)", [parquet, "科技"])]),
        Case("facet_district", "facet counts by district",
             [("_group_by", "district")],
             (table, [("_facet", "district"), ("_size", "0")]),
             [(f"SELECT district, COUNT(*) c FROM {src} GROUP BY district ORDER BY c DESC", [parquet])]),
        Case("deep_page", f"page of 50 sorted by -capital, {deep:,} rows in (keyset token)",
             [("_sort", "-capital"), ("_limit", "50"), ("_next", ours_token)],
             (table, [("_sort_desc", "capital"), ("_size", "50"), ("_next", ds_token)]),
             [((f"SELECT *, file_row_number FROM {src_rn} WHERE capital < ? OR (capital = ? AND file_row_number > ?) "
               "ORDER BY capital DESC, file_row_number LIMIT 51"), [parquet, capital, capital, rownum]),
              ("SELECT SUM(num_rows) FROM parquet_file_metadata(?)", [parquet])]),
        Case("count_filter", "count with a filter (industry, founded ≥ 2010)",
             [("industry", "制造业"), ("founded__gte", "2010-01-01"), ("_limit", "0")],
             (table, [("industry", "制造业"), ("founded__gte", "2010-01-01"), ("_size", "0")]),
             [(f"SELECT COUNT(*) FROM {src} WHERE industry = ? AND founded >= ?",
               [parquet, "制造业", "2010-01-01"])]),
        Case("avg_by_industry", "grouped average of capital by industry",
             [("_group_by", "industry"), ("_agg", "avg:capital")],
             (sql, [("sql", ("select industry, count(*) as count, avg(capital) as avg_capital from companies "
                            "group by industry order by count desc")), ("_shape", "array")]),
             [(f"SELECT industry, COUNT(*) c, AVG(capital) FROM {src} GROUP BY industry ORDER BY c DESC",
               [parquet])]),
    ]


def deep_tokens(platform: dict, parquet: str, db: Path, deep: int) -> tuple[str, str, tuple[float, int], dict]:
    """The keyset tokens of the page that starts ``deep`` rows into the result sorted by -capital, for ours (the
    engine's own ``token_at``) and for Datasette (``capital,rowid`` of the row before it)."""
    import json

    from sqlalchemy import text

    from kaifang.datastore.engine import Projection, parse_query, token_at
    from kaifang.datastore.schema import TableSchema
    from kaifang.db import make_engine

    engine = make_engine(platform["database_url"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as con:
        schema_json = con.execute(text("SELECT schema_json FROM dataset_version ORDER BY id DESC LIMIT 1")).scalar()
    engine.dispose()
    schema = TableSchema.from_json(json.loads(schema_json))
    query = parse_query([("_sort", "-capital"), ("_limit", "50")], schema, Projection())
    ours = token_at(parquet, schema, query, Projection(), deep)
    with sqlite3.connect(db) as con:
        capital, rowid = con.execute("SELECT capital, rowid FROM companies ORDER BY capital DESC, rowid "
                                     "LIMIT 1 OFFSET ?", [deep - 1]).fetchone()
        first = con.execute("SELECT uscc FROM companies ORDER BY capital DESC, rowid LIMIT 1 OFFSET ?",
                            [deep]).fetchone()[0]
    ds = f"{tilde_encode(str(capital))},{rowid}"
    # rowid counts from 1 in file order, file_row_number from 0: the same row.
    return ours, ds, (capital, rowid - 1), {"first_uscc_at_deep": first}


def _get(client: httpx.Client, path: str, params: list[tuple[str, str]]) -> tuple[float, Any]:
    start = time.perf_counter()
    r = client.get(path, params=params)
    body = r.content
    seconds = time.perf_counter() - start
    if r.status_code != 200:
        raise RuntimeError(f"{r.request.url} answered {r.status_code}: {body[:500]!r}")
    return seconds, r


def _check(case: Case, name: str, r: httpx.Response | list) -> None:
    """Record what each contender answered, to compare (the totals and first rows must agree)."""
    if isinstance(r, list):  # raw DuckDB: list of result lists
        rows = r
        if case.key in ("filter_sort_page", "contains_page"):
            first = rows[0][0][0] if case.key != "contains_page" else None
            case.checks[name] = {"total": rows[1][0][0], "first": first}
        elif case.key == "deep_page":
            case.checks[name] = {"first": rows[0][0][0]}
        elif case.key == "count_filter":
            case.checks[name] = {"total": rows[0][0][0]}
        else:
            case.checks[name] = {"groups": {row[0]: row[1] for row in rows[0]}}
        return
    data = r.json()
    if name == "ours":
        if case.key in ("facet_district", "avg_by_industry"):
            case.checks[name] = {"groups": {g[case.ours[0][1]]: g["count"] for g in data["groups"]}}
        else:
            first = data["records"][0]["uscc"] if data["records"] else None
            case.checks[name] = {"total": data["total"], "first": first if case.key != "contains_page" else None}
            if case.key == "deep_page":
                case.checks[name] = {"first": first}
        return
    if case.key == "avg_by_industry":
        case.checks[name] = {"groups": {g["industry"]: g["count"] for g in data}}
    elif case.key == "facet_district":
        case.checks[name] = {"groups": {v["value"]: v["count"] for v in data["facet_results"]["district"]["results"]}}
    elif case.key == "deep_page":
        case.checks[name] = {"first": data["rows"][0][1]}
    else:
        first = data["rows"][0][1] if data["rows"] else None
        case.checks[name] = {"total": data["filtered_table_rows_count"],
                             "first": first if case.key != "contains_page" else None}


def measure(platform: dict, parquet: str, db: Path, runs: int, servers: dict[str, Server], rows: int) -> dict:
    deep = rows // 2
    ours_token, ds_token, deep_key, deep_info = deep_tokens(platform, parquet, db, deep)
    entry = platform["entry_id"]
    all_cases = cases(entry, parquet, ours_token, ds_token, deep_key, deep)
    con = duckdb.connect(config={"threads": 2, "memory_limit": "512MB"})
    clients = {name: httpx.Client(base_url=s.base, timeout=600) for name, s in servers.items()}
    try:
        for round_ in range(runs + 1):  # round 0 warms every cache and is not counted
            for case in all_cases:
                for name, client in clients.items():
                    if name == "ours":
                        seconds, r = _get(client, f"/api/v1/datasets/{entry}/records", case.ours)
                    else:
                        seconds, r = _get(client, *case.datasette)
                    if round_ == 0:
                        _check(case, name, r)
                    else:
                        case.timings.setdefault(name, []).append(seconds * 1000)
                start = time.perf_counter()
                results = [con.execute(s, a).fetchall() for s, a in case.raw]
                seconds = time.perf_counter() - start
                if round_ == 0:
                    _check(case, "raw_duckdb", results)
                else:
                    case.timings.setdefault("raw_duckdb", []).append(seconds * 1000)
            if round_:
                log(f"api round {round_}/{runs}: " + ", ".join(
                    f"{c.key} ours {c.timings['ours'][-1]:.0f} ms" for c in all_cases[:3]))
    finally:
        for c in clients.values():
            c.close()
        con.close()
    out: dict[str, Any] = {"deep": deep_info, "cases": {}}
    for case in all_cases:
        stats = {name: summary(ms) for name, ms in case.timings.items()}
        agree = _agree(case)
        out["cases"][case.key] = {"label": case.label, "ms": stats, "checks": case.checks, "agree": agree,
                                  "ours_params": case.ours, "datasette": list(case.datasette),
                                  "raw_sql": [s for s, _ in case.raw]}
    return out


def _agree(case: Case) -> bool:
    values = list(case.checks.values())
    if not values:
        return False
    if "groups" in values[0]:
        return all(v["groups"] == values[0]["groups"] for v in values)
    keys = [k for k in values[0] if values[0][k] is not None]
    return all(all(v.get(k) == values[0][k] for k in keys) for v in values)

