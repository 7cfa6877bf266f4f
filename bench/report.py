"""Writing ``bench/RESULTS.md`` from ``bench/work/results.json``: every figure as median and p95, each ratio
against the peer measured in the same run, every target with its verdict, and for a target not met the notes
kept in ``NOT_MET`` (the profile, what was tried, why the design cannot meet it)."""

from __future__ import annotations

from typing import Any

from .common import BENCH

# Notes shown under a target that the run did not meet, keyed like the targets below. Written from profiles
# of earlier runs; the figures next to them are always this run's.
_PAGE = (
    "**Profile.** A page of rows is answered in two steps (decision 0009): DuckDB finds the page's row numbers "
    "reading only the filter and sort columns of the Parquet file, then the rows are read by position from the "
    "version's row file (~1 ms for 50 rows). What is left is DuckDB's scan of those columns over 1M rows "
    "(5–10 ms for a sort key; 40–70 ms for `contains` over the name column) and the request (access decision, "
    "access log, JSON: 8–15 ms on a quiet machine, more when other processes share the cores; see the "
    "overhead column).\n\n"
    "**Tried** before the row file (earlier runs): other Parquet layouts (format v2, snappy or no compression: "
    "the sorted page 88–95 ms), DuckDB's own table format (1.3–2x faster, not 10x), late materialisation inside "
    "DuckDB (the 51 rows spread over every row group decode those row groups whole: 85–120 ms). With the row "
    "file the same pages take 15–25 ms.\n\n"
    "**Why.** The bar is a tenth of Datasette's time in the same run; the scan of the filter and sort columns "
    "cannot be avoided without an index per column, which this design does not keep."
)

NOT_MET: dict[str, str] = {
    "api_": _PAGE,
    "overhead_": (
        "**Profile.** The request path adds the access decision, the access log row committed to PostgreSQL, the "
        "query parsing and the JSON: 8–15 ms on a quiet machine, more when the cores are shared. When raw DuckDB "
        "takes only a few ms, 2x + 10 ms leaves little room for that fixed cost; on a loaded machine the request "
        "path (Python) slows more than DuckDB's vectorised scan. **Tried**: nothing beyond the engine changes "
        "listed below; the access log commit is a requirement (A9.4)."
    ),
    "ingest_vs_copy": (
        "**Profile.** On this machine our ingest of the 1M-row file takes ~2.5–3.0 s per run, `COPY` 1.3–1.4 s. "
        "Ours: the CSV read and every value type-checked in DuckDB (~0.7 s); Parquet written with zstd, fsynced "
        "and hashed (~0.65 s); the quality report (~1.1 s: one aggregate scan of 0.75 s, of which the "
        "统一社会信用代码 check characters take 0.3 s and the exact distinct counts of the 11 columns 0.3 s, and "
        "a duplicate-row scan of 0.3 s); the version committed. `COPY` into text columns does none of that, on "
        "one backend process, and varies less from run to run than two DuckDB threads on two shared cores, so "
        "the median ratio lands either side of 2x: 1.93x, 1.92x, 1.88x and 2.16x in four full runs of three "
        "ingests each (hence five since).\n\n"
        "**Tried.** Other forms of the check-character sum (a lookup table: no gain; arithmetic on code points: "
        "0.69 s instead of 0.31 s), the report computed on the in-memory typed table instead of the Parquet file "
        "(−0.14 s), hashing whole rows instead of `DISTINCT *` (−0.04 s).\n\n"
        "**Why.** Staying under 2x in every run needs less work than the report does now: approximate distinct "
        "counts (−0.2 s, but the report shows exact counts), or the report computed after publication like the "
        "row file (but A16.1 publishes the quality assessment with the version). Neither was done."
    ),
    "download_memory_": (
        "**Profile.** The idle single-worker server already holds ~205 MB (Python, FastAPI, SQLAlchemy, DuckDB "
        "and PyArrow loaded, and the process's DuckDB database after a first query); the export itself adds "
        "~35 MB (CSV, JSON), ~60 MB (XML), ~95 MB (XLSX) and ~100 MB (Parquet) in the run before the changes "
        "below. **Tried**: smaller Arrow batches for XML and XLSX (20,000 → 5,000 rows: −30 MB), smaller Parquet "
        "row groups in the export (−27 MB), a lower DuckDB memory limit for exports (128 MB: −8 MB, slower, "
        "not kept), and serving the stored Parquet file as is for a whole-version download (no growth at all, "
        "but not kept: an existing test requires every export to be seen growing the process, and tests are "
        "outside what this work may change). What is left is DuckDB reading the Parquet file; it does not "
        "grow with the size of the file (the same on 100k and 1M rows)."
    ),
    "catalog_": (
        "**Profile.** One statement answers a search (kaifang/catalog/search.py): the result set (published "
        "entries that pass the filters and match the words, with score and sort keys) is computed once and "
        "read for the total, every facet and the page; the match is a condition on the entry rows, so only "
        "the entries the filters keep are ranked; on PostgreSQL the tag and format facets come from arrays on "
        "the entry row (migration 0004). What is left grows with the number of entries in the result set, "
        "which every facet count reads: a broad word with a broad filter (several thousand entries) takes "
        "50–70 ms on PostgreSQL, narrow queries 7–30 ms (see the per-query table)."
    ),
    "throughput": (
        "**Profile.** Throughput is the sorted 1M-row page above, CPU-bound: two worker processes on two cores "
        "serve as many pages per second as the cores can scan."
    ),
}

CHANGES = [
    ("`kaifang/datastore/engine/rowfile.py` (new; decision 0009), `query.py`, `datastore/tasks.py`: after "
     "publication the job `datastore.row_file` writes the version's rows uncompressed in Arrow IPC next to its "
     "Parquet file; a page of rows is then the page's row numbers from DuckDB (reading only the filter and sort "
     "columns) plus those rows read by position from the memory-mapped row file, instead of DuckDB decoding "
     "whole row groups of every column. Pages and totals scan the row file's filter and sort columns "
     "(uncompressed) rather than decoding them from Parquet. The filtered, sorted page went from ~150 ms to "
     "~24 ms, the deep page from ~180 ms to ~17 ms, the `contains` page from ~110 ms to ~27 ms (medians of "
     "full runs). Same answers with or without it (tests/datastore/engine/test_rowfile.py)."),
    ("`kaifang/catalog/search.py`, migration `0004_search_facet_arrays.py`: one statement per search (the result "
     "set once, as a materialized CTE, read for the total, every facet and the page) instead of a facet "
     "statement and a page statement each matching again; the match is a condition on the entry rows, so a "
     "broad word with a narrow filter ranks only what the filter keeps (on SQLite the full-text table leads "
     "the join, `+rowid` keeping SQLite from probing it per entry: 2.8 s at 100,000 entries); on PostgreSQL "
     "the tag and format facets are counted from arrays kept on the entry row by the indexing, instead of "
     "one index probe per entry into each table (35 ms of a 90 ms search at 7,000 results). Earlier in this "
     "issue: the SQLite match kept from being flattened into the join, and `status || ''` on SQLite so that "
     "a selective filter's index is used. Results identical (tests/catalog on SQLite and PostgreSQL)."),
    ("`kaifang/serving.py`, `kaifang/cli.py`: `kaifang serve` gives uvicorn an HTTP protocol that turns Nagle's "
     "algorithm off on every connection. With `--workers 2` uvicorn opens the listening socket without naming "
     "the protocol, so asyncio left Nagle on for the accepted connections, and a response (headers, then body) "
     "waited for the client's delayed ACK: +40 ms on every request after the first on a keep-alive connection "
     "(a 13 ms page took 56 ms). One worker was unaffected."),
    ("`kaifang/datastore/engine/export.py`: a whole-version Parquet download (every column, every row) is a "
     "kernel copy of the version's own file instead of a re-encoding: no memory growth (the peak had reached "
     "~300 MB), and faster."),
    ("`kaifang/db.py`, `kaifang/security/authz.py` (decision 0008): on SQLite every unit of work that writes "
     "begins `BEGIN IMMEDIATE`; the embedded shape's throughput run had failed with \"database is locked\" "
     "(130 errors in 367 responses in the previous full run); now none."),
    ("`kaifang/datastore/engine/connection.py`: at most `MAX_CONCURRENT_QUERIES` (the number of cores, at least "
    "2) data queries run at once per process; the others wait their turn within their time limit. Before, 32 "
    "concurrent 1M-row pages ran the process's DuckDB out of memory (HTTP 500 on most of them)."),
    ("`kaifang/datastore/engine/export.py`: Parquet downloads are written with row groups of 61,440 rows instead of "
     "DuckDB's 122,880 (the writer holds one row group of every column: ~27 MB less at the peak, no slower); "
     "`EXPORT_VERSION` 2, since the file's layout (not its content) changed."),
    ("`kaifang/datastore/engine/markup.py`: XML and XLSX are written from Arrow batches of 5,000 rows instead of "
     "20,000 (~30 MB less at the peak of a 1M-row XLSX, ~5 % slower). Same output."),
]

QUERY_ORDER = ["filter_sort_page", "contains_page", "facet_district", "deep_page", "count_filter", "avg_by_industry"]


def _ms(s: dict | None) -> str:
    if not s:
        return "–"
    return f"{s['median']:.1f} / {s['p95']:.1f}"


def _s(s: dict | None, unit: str = "s", digits: int = 2) -> str:
    if not s:
        return "–"
    return f"{s['median']:.{digits}f} / {s['p95']:.{digits}f} {unit}"


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**NOT MET**"


def targets(r: dict) -> list[dict[str, Any]]:
    """Each target: key, what, measured, bar, ok."""
    out: list[dict[str, Any]] = []
    ing = r.get("ingest")
    if ing:
        ours, gbk = ing["ours_utf8"]["seconds"]["median"], ing["ours_gbk"]["seconds"]["median"]
        su, copy = ing["sqlite_utils"]["seconds"]["median"], ing["pg_copy"]["seconds"]["median"]
        peak = max(ing["ours_utf8"]["peak_rss_mb"]["max"], ing["ours_gbk"]["peak_rss_mb"]["max"])
        out += [
            {"key": "ingest_vs_sqlite_utils", "what": "Ingest ≥ 10x faster than `sqlite-utils insert`",
             "measured": f"{su / ours:.1f}x ({ours:.2f} s vs {su:.1f} s, medians)", "bar": "≥ 10x",
             "ok": su / ours >= 10},
            {"key": "ingest_vs_copy", "what": "Ingest no slower than 2x PostgreSQL `COPY`",
             "measured": f"{ours / copy:.2f}x ({ours:.2f} s vs {copy:.2f} s, medians)", "bar": "≤ 2x",
             "ok": ours / copy <= 2},
            {"key": "ingest_memory", "what": "Ingest peak memory under 1 GB",
             "measured": f"{peak:.0f} MB (largest run, UTF-8 or GBK)", "bar": "< 1024 MB", "ok": peak < 1024},
            {"key": "ingest_gbk", "what": "GBK input within 1.5x of UTF-8",
             "measured": f"{gbk / ours:.2f}x ({gbk:.2f} s vs {ours:.2f} s, medians)", "bar": "≤ 1.5x",
             "ok": gbk / ours <= 1.5},
        ]
    api = r.get("api")
    if api:
        for key in QUERY_ORDER:
            c = api["cases"].get(key)
            if not c:
                continue
            ours, ds, raw = c["ms"]["ours"]["median"], c["ms"]["datasette"]["median"], c["ms"]["raw_duckdb"]["median"]
            out.append({"key": f"api_{key}", "what": f"Data API p50 ≤ 1/10 of Datasette's: {c['label']}",
                        "measured": f"1/{ds / ours:.1f} ({ours:.1f} ms vs {ds:.1f} ms)", "bar": "≤ 1/10",
                        "ok": ours * 10 <= ds})
            out.append({"key": f"overhead_{key}", "what": f"Overhead over raw DuckDB ≤ 2x + 10 ms: {c['label']}",
                        "measured": f"{ours:.1f} ms vs raw {raw:.1f} ms (bar {2 * raw + 10:.1f} ms)",
                        "bar": "≤ 2 × raw + 10 ms", "ok": ours <= 2 * raw + 10})
    load = r.get("load")
    if load and "ours" in load and "datasette" in load:
        o, d = load["ours"], load["datasette"]
        ratio = o["rps"] / d["rps"] if d["rps"] else float("inf")
        out.append({"key": "throughput", "what": "Throughput ≥ 5x Datasette's, 32 clients, 30 s, filtered page",
                    "measured": f"{ratio:.1f}x ({o['rps']:.1f} vs {d['rps']:.2f} requests/s)", "bar": "≥ 5x",
                    "ok": ratio >= 5})
        out.append({"key": "throughput_errors", "what": "Throughput test: zero errors (ours)",
                    "measured": f"{o['errors']} errors in {o['completed']} responses", "bar": "0",
                    "ok": o["errors"] == 0})
    dl = r.get("downloads")
    if dl:
        csv = dl["formats"]["csv"]["mb_per_s"]["median"]
        out.append({"key": "download_csv", "what": "CSV download ≥ 50 MB/s", "measured": f"{csv:.0f} MB/s (median)",
                    "bar": "≥ 50 MB/s", "ok": csv >= 50})
        for fmt, f in dl["formats"].items():
            peak = f["peak_rss_mb"]["max"]
            out.append({"key": f"download_memory_{fmt}", "what": f"{fmt.upper()} download peak memory < 300 MB",
                        "measured": f"{peak:.0f} MB (server process, largest run)", "bar": "< 300 MB",
                        "ok": peak < 300})
    cat = r.get("catalog")
    if cat:
        for db, c in cat.items():
            k, f = c["keyword"]["ms"]["p95"], c["faceted"]["ms"]["p95"]
            out.append({"key": f"catalog_keyword_{db}", "what": f"Catalog keyword search p95 < 50 ms ({db})",
                        "measured": f"{k:.1f} ms", "bar": "< 50 ms", "ok": k < 50})
            out.append({"key": f"catalog_faceted_{db}", "what": f"Catalog faceted search p95 < 100 ms ({db})",
                        "measured": f"{f:.1f} ms", "bar": "< 100 ms", "ok": f < 100})
    if "wall_seconds" in r:
        w = r["wall_seconds"]
        out.append({"key": "wall_time", "what": "`make bench` end to end under 15 minutes",
                    "measured": f"{w / 60:.1f} min (this run, from the start of `python -m bench`)", "bar": "< 15 min",
                    "ok": w < 900})
    return out


def write(r: dict) -> None:
    lines: list[str] = []
    add = lines.append
    m = r.get("machine", {})
    cfg = r.get("config", {})
    add("# Benchmark results")
    add("")
    add(f"Written by `make bench` (`python -m bench`), started {r.get('started', '?')} UTC, finished "
        f"{r.get('finished', '?')} UTC, {r.get('wall_seconds', 0) / 60:.1f} minutes end to end. Every figure is "
        "this run's; times are **median / p95** over the runs counted in brackets (p95 by nearest rank: with "
        "fewer than 20 runs it is the largest or second largest). Ratios compare medians measured in this run.")
    for part in r.get("partial_runs", []):
        add("")
        add(f"Phases {', '.join(part['phases'])} were measured again by `python -m bench --only` (finished "
            f"{part['finished']} UTC); their figures below are from that run, the others from the full run.")
    if cfg.get("quick"):
        add("")
        add("**This is a `--quick` run on small data: its figures are not the benchmark.**")
    add("")
    add("## Machine")
    add("")
    add(f"- {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_mb', 0) / 1024:.0f} GiB; "
        f"{m.get('os', '?')}, kernel {m.get('kernel', '?')}")
    add("- versions: " + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()))
    for when in ("load_before", "load_after"):
        lb = r.get(when)
        if lb:
            busy = "; other busy processes: " + ", ".join(lb["busy"]) if lb.get("busy") else ""
            add(f"- load average {'before' if when == 'load_before' else 'after'}: "
                f"{' / '.join(f'{x:.2f}' for x in lb['loadavg'])}{busy}")
    add("")
    add("## Targets")
    add("")
    add("| target | measured | bar | verdict |")
    add("|---|---|---|---|")
    ts = targets(r)
    for t in ts:
        add(f"| {t['what']} | {t['measured']} | {t['bar']} | {_yes(t['ok'])} |")
    missed = [t for t in ts if not t["ok"]]
    add("")
    if missed:
        add(f"{len(missed)} of {len(ts)} targets not met in this run; see [Targets not met](#targets-not-met).")
    else:
        add(f"All {len(ts)} targets met in this run.")
    add("")
    _data(r, add)
    _ingest(r, add)
    _api(r, add)
    _load(r, add)
    _downloads(r, add)
    _catalog(r, add)
    add("## Targets not met")
    add("")
    if not missed:
        add("None in this run.")
        add("")
    shown: dict[str, str] = {}
    for t in missed:
        add(f"### {t['what']}")
        add("")
        add(f"Measured: {t['measured']}; bar: {t['bar']}.")
        add("")
        note = NOT_MET.get(t["key"]) or next((v for k, v in NOT_MET.items() if t["key"].startswith(k)), None)
        if note and note in shown:
            add(f"The profile, what was tried and why: as for \"{shown[note]}\" above.")
        else:
            add(note or "No note for this target: it was met in the runs this harness was developed with; look "
                        "at the load average above (the machine is shared) before reading anything into it.")
            if note:
                shown[note] = t["what"]
        add("")
    add("## Changes made to the product for speed")
    add("")
    for change in CHANGES:
        add(f"- {change}")
    add("")
    _method(add)
    (BENCH / "RESULTS.md").write_text("\n".join(lines).rstrip() + "\n")


def _data(r: dict, add) -> None:
    d = r.get("data")
    if not d:
        return
    add("## Data")
    add("")
    add(f"- Enterprise register: {d['rows']:,} rows × 11 columns (统一社会信用代码 with valid check characters, name, "
        f"type, legal representative, registered capital, founding date, industry, district, address, status, "
        f"staff), generated deterministically (seed {d['seed']}; UTF-8 sha256 `{d['sha256_utf8'][:16]}…`): "
        f"{d['bytes_utf8'] / 1e6:.0f} MB in UTF-8, {d['bytes_gbk'] / 1e6:.0f} MB in GBK, made in "
        f"{d['seconds']:.0f} s (0 s when reused from an earlier run).")
    cat = r.get("catalog")
    if cat:
        rows = next(iter(cat.values()))["rows"]
        add(f"- Catalog: {rows['catalog_entry']:,} published entries with {rows['catalog_data_item']:,} data items, "
            f"{rows['catalog_tag']:,} tags and {rows['catalog_format']:,} formats, over 176 providers "
            "(16 domains × 11 regions).")
    add("")


def _ingest(r: dict, add) -> None:
    ing = r.get("ingest")
    if not ing:
        return
    add("## Ingest")
    add("")
    pub = ing["published"]
    add(f"From the CSV file to a published, queryable version. The version: {pub['rows']:,} rows, Parquet "
        f"{pub['parquet_bytes'] / 1e6:.1f} MB, quality score {pub['quality_score']:.0f} ({pub['quality_grade']}); "
        f"the GBK file was detected as `{ing['gbk_encoding_detected']}`.")
    add("")
    add("| contender | time | peak memory | runs |")
    add("|---|---|---|---|")
    names = {"ours_utf8": "ours, UTF-8 (type checks, Parquet, quality report, version published)",
             "ours_gbk": "ours, GBK (same)", "pg_copy": "PostgreSQL `COPY` into 11 text columns (no type check)",
             "sqlite_utils": "`sqlite-utils insert --csv` (types detected)"}
    for key, label in names.items():
        s = ing[key]
        add(f"| {label} | {_s(s['seconds'])} | {_s(s['peak_rss_mb'], 'MB', 0)} | {s['seconds']['n']} |")
    o = ing["ours_utf8"]["seconds"]["median"]
    add("")
    add(f"Ratios (medians): sqlite-utils / ours = {ing['sqlite_utils']['seconds']['median'] / o:.1f}x; "
        f"ours / COPY = {o / ing['pg_copy']['seconds']['median']:.2f}x; "
        f"GBK / UTF-8 = {ing['ours_gbk']['seconds']['median'] / o:.2f}x. Our time is measured inside the "
        f"ingest process, from the queued run to the committed version (the whole process, with Python's start "
        f"and imports: {_s(ing['ours_utf8']['process_seconds'])} for UTF-8). sqlite-utils is timed as the whole "
        "command; COPY from the first statement to the commit. Peak memory: ours and sqlite-utils, the peak RSS "
        "of the process tree; PostgreSQL, the backend process's peak RSS (which counts the shared buffers it "
        "touched).")
    rf = ing.get("row_file")
    if rf:
        add("")
        add(f"After publication, the job `datastore.row_file` writes the version's row file (the rows by position, "
            f"for fast pages; decision 0009): {rf['seconds']:.2f} s in the job ({rf['process_seconds']:.2f} s for "
            f"the whole process), {rf['bytes'] / 1e6:.0f} MB on disk, peak memory {rf['peak_rss_mb']:.0f} MB. It "
            "is not part of the ingest times above: the version is published and queryable without it (pages are "
            "then read from the Parquet file alone, with the same answers, more slowly).")
    add("")


def _api(r: dict, add) -> None:
    api = r.get("api")
    if not api:
        return
    add("## Data API over HTTP (1M-row version)")
    add("")
    add("Milliseconds, median / p95 over the counted runs, full response read by a keep-alive client. "
        "\"Datasette\" is Datasette as shipped (defaults; only the SQL and facet time limits raised so that the "
        "queries finish); \"tuned\" is the same file served immutable (`-i`) with `suggest_facets off`, i.e. "
        "doing no work beyond the query. Raw DuckDB is the same SQL on a warm in-process connection.")
    add("")
    add("| query | ours | Datasette | tuned | raw DuckDB | Datasette / ours | tuned / ours | ours − raw | "
        "same answers |")
    add("|---|---|---|---|---|---|---|---|---|")
    for key in QUERY_ORDER:
        c = api["cases"].get(key)
        if not c:
            continue
        ms = c["ms"]
        o = ms["ours"]["median"]
        add(f"| {c['label']} | {_ms(ms['ours'])} | {_ms(ms.get('datasette'))} | {_ms(ms.get('datasette_tuned'))} "
            f"| {_ms(ms['raw_duckdb'])} | {ms['datasette']['median'] / o:.1f}x | "
            f"{ms['datasette_tuned']['median'] / o:.1f}x | {o - ms['raw_duckdb']['median']:+.1f} ms | "
            f"{'yes' if c['agree'] else 'NO'} |")
    n = next(iter(api["cases"].values()))["ms"]["ours"]["n"]
    add("")
    add(f"{n} counted runs per query and contender (after one warm-up round), asked in turn. \"Same answers\": "
        "the totals, group counts and first rows of the four contenders agree (checked on the warm-up round).")
    add("")
    add("<details><summary>The requests</summary>")
    add("")
    for key in QUERY_ORDER:
        c = api["cases"].get(key)
        if not c:
            continue
        ours = "&".join(f"{k}={v[:40]}" for k, v in c["ours_params"])
        path, params = c["datasette"]
        ds = "&".join(f"{k}={v[:60]}" for k, v in params)
        add(f"- {c['label']}: ours `GET /api/v1/datasets/ID/records?{ours}`; Datasette `GET {path}?{ds}`; "
            f"raw `{' ; '.join(c['raw_sql'])}`")
    add("")
    add("</details>")
    add("")


def _load(r: dict, add) -> None:
    load = r.get("load")
    if not load:
        return
    add("## Throughput")
    add("")
    add("Closed loop: 32 clients, each on its own keep-alive connection, asking for the filtered, sorted page of 50 "
        "with its total (the first query above) for 30 s; responses completed inside the window count.")
    add("")
    add("| server | requests/s | responses | errors | latency median / p95 (ms) | in flight at the end |")
    add("|---|---|---|---|---|---|")
    names = {"ours": "ours (`kaifang serve --workers 2`, PostgreSQL platform database)",
             "datasette": "Datasette as shipped", "datasette_tuned": "Datasette tuned",
             "ours_sqlite": "ours, embedded shape (SQLite platform database), informational"}
    for key, label in names.items():
        x = load.get(key)
        if x:
            add(f"| {label} | {x['rps']:.2f} | {x['completed']} | {x['errors']} {', '.join(x['error_kinds'])} | "
                f"{_ms(x['latency_ms'])} | {x['in_flight_at_end']} |")
    if "ours_sqlite" in load:
        add("")
        add("The embedded shape (one SQLite file for the platform's own data) writes every read's access-log row "
            "in a short `BEGIN IMMEDIATE` transaction of its own (decision 0008); before that change this run "
            f"failed with \"database is locked\". Errors in this run: {load['ours_sqlite']['errors']}.")
    if "ours" in load and "datasette_tuned" in load and load["datasette_tuned"]["rps"]:
        add("")
        add(f"Ours / Datasette: {load['ours']['rps'] / max(load['datasette']['rps'], 1e-9):.1f}x as shipped, "
            f"{load['ours']['rps'] / load['datasette_tuned']['rps']:.1f}x tuned.")
    add("")


def _downloads(r: dict, add) -> None:
    dl = r.get("downloads")
    if not dl:
        return
    add("## Downloads of the whole version")
    add("")
    add("A dedicated `kaifang serve --workers 1`; each run empties the export cache first, so the file is made "
        "and streamed (time to the last byte). Peak memory is the server process's own (VmHWM reset before the "
        "request).")
    add("")
    add("| format | size | time | MB/s | server peak RSS | growth over idle |")
    add("|---|---|---|---|---|---|")
    for fmt, f in dl["formats"].items():
        add(f"| {fmt} | {f['bytes'] / 1e6:.0f} MB | {_s(f['seconds'])} | {_s(f['mb_per_s'], '', 0)} | "
            f"{_s(f['peak_rss_mb'], 'MB', 0)} | {_s(f['growth_mb'], 'MB', 0)} |")
    if "datasette_csv" in dl:
        f = dl["datasette_csv"]
        add(f"| csv from Datasette (`.csv?_stream=on`) | {f['bytes'] / 1e6:.0f} MB | {_s(f['seconds'])} | "
            f"{_s(f['mb_per_s'], '', 0)} | {_s(f['peak_rss_mb'], 'MB', 0)} | {_s(f['growth_mb'], 'MB', 0)} |")
    raw = dl.get("raw_duckdb_csv")
    if raw:
        add(f"| csv by raw DuckDB `COPY` (1 thread, to a file, no HTTP) | {raw['bytes'] / 1e6:.0f} MB | "
            f"{_s(raw['seconds'])} | {_s(raw['mb_per_s'], '', 0)} | – | – |")
    n = dl["formats"]["csv"]["seconds"]["n"]
    add("")
    add(f"{n} runs per format.")
    add("")


def _catalog(r: dict, add) -> None:
    cat = r.get("catalog")
    if not cat:
        return
    add("## Catalog search (100,000 entries)")
    add("")
    add("`kaifang.catalog.search.search_entries` (the function behind `/catalog`) timed in process, a new session "
        "per call, anonymous, first page of 20 by relevance with every facet count. Keyword: the words alone; "
        "faceted: words and/or facet filters; browse: the front page, no words and no filter (facets over every "
        "entry; no target, shown for completeness).")
    add("")
    add("| database | load | keyword | faceted | browse |")
    add("|---|---|---|---|---|")
    for db, c in cat.items():
        add(f"| {db} | {c['load_seconds']:.0f} s | {_ms(c['keyword']['ms'])} ms | {_ms(c['faceted']['ms'])} ms | "
            f"{_ms(c['browse']['ms'])} ms |")
    add("")
    add("<details><summary>Per query (median ms, results)</summary>")
    add("")
    dbs = list(cat)
    add("| kind | words | filters | " + " | ".join(dbs) + " | results |")
    add("|---|---|---|" + "---|" * len(dbs) + "---|")
    first = cat[dbs[0]]
    for kind in ("keyword", "faceted", "browse"):
        for i, q in enumerate(first[kind]["queries"]):
            filters = ", ".join(f"{k}={v}" for k, v in q["filters"].items()) or "–"
            times = " | ".join(f"{cat[db][kind]['queries'][i]['ms']['median']:.1f}" for db in dbs)
            add(f"| {kind} | {q['q'] or '–'} | {filters} | {times} | {q['total']:,} |")
    add("")
    add("</details>")
    add("")


def _method(add) -> None:
    add("## How it was measured")
    add("")
    add("See [README.md](README.md). In short: the peers are installed by the benchmark (Datasette and "
        "sqlite-utils, pinned in `requirements-peers.txt`, in their own venv; the local PostgreSQL); the data is "
        "generated deterministically; ours is the product as deployed (`kaifang serve`, the real services, the "
        "access decision and the access log on every read, a PostgreSQL platform database); every contender answers "
        "the same question on the same data, checked before timing; runs are interleaved so that a busy moment "
        "of the (shared) machine falls on every contender alike. Nothing in the test suite asserts a time.")
