"""Catalog search (A9.2) on a 100,000-entry catalog, on SQLite and on PostgreSQL, timed in process.

Loading: each database is made by the product's migrations; the providers are created by the product's service
(``create_organisation``); the entries, their data items, tags and formats are bulk-loaded as published entries
(SQLite ``executemany``, PostgreSQL ``COPY``), because publishing 100,000 entries one by one through the workflow
would not fit the time of the benchmark. The search index holds exactly what the product indexes: the title and
body of ``search._documents`` tokenised by ``segment.index_text``, written with the product's own statements
(SQLite: the FTS5 row; PostgreSQL: the same ``setweight(to_tsvector('simple', ...))`` expression, in one
``UPDATE ... FROM`` instead of one per entry). A sample of entries is checked against ``search._documents``
on the loaded database, so a difference would stop the benchmark.

Timing: ``kaifang.catalog.search.search_entries`` (the function behind ``/catalog``) called in this process,
a new ORM session per call, as an anonymous visitor: first page of 20, relevance order, with every facet count.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any

from .common import log, summary
from .gen import REGIONS, catalog_docs, provider_name

KEYWORD_QUERIES = ["公交", "空气质量", "企业登记信息", "医疗机构", "学校", "充电桩", "旅游景区", "食品生产许可",
                   "昆山市 企业", "行政处罚", "2024年 统计", "医保定点药店"]
FACETED_QUERIES: list[tuple[str | None, dict[str, Any]]] = [
    ("公交", {"domain": "transport"}),
    ("企业", {"region": "320583"}),
    ("许可", {"open_class": "unconditional", "fmt": "csv"}),
    (None, {"domain": "health", "tags": ["医疗"]}),
    ("空气质量", {"frequency": "daily"}),
    ("学校", {"tags": ["学校"], "region": "320508"}),
    (None, {"region": "320508", "domain": "culture_tourism"}),
    ("信息", {"domain": "market", "fmt": "json"}),
    ("数据", {"open_class": "conditional"}),
    (None, {"fmt": "xlsx", "frequency": "monthly"}),
]


@lru_cache(maxsize=200_000)
def _tokens(text: str) -> str:
    from kaifang.catalog import segment

    return segment.index_text(text)


_CLAUSES = re.compile(r"[ ，。、；：（）]+")


def _clause_tokens(text: str) -> str:
    return " ".join(t for t in (_tokens(c) for c in _CLAUSES.split(text)) if t)


def _index(texts: tuple[str, list[str]]) -> tuple[str, str]:
    """(title, body) tokens, each clause tokenised on its own and cached: jieba cuts text at spaces and
    punctuation before segmenting, so this is ``index_text`` of the whole (the check after loading proves it
    on a sample) at a fraction of the time, most clauses recurring across entries."""
    title, parts = texts
    return _clause_tokens(title), " ".join(t for t in (_clause_tokens(p) for p in parts) if t)


def _doc_texts(doc, provider: str) -> tuple[str, list[str]]:
    if doc.open_class == "not_open":
        return doc.name, [provider]
    return doc.name, [doc.summary, provider, *doc.tags, *doc.themes, doc.industry, doc.scenarios,
                      *[t for t, _ in doc.items]]


def prepare(n: int) -> dict:
    """Generate the entries and their index tokens (two processes)."""
    start = time.perf_counter()
    docs = list(catalog_docs(n))
    texts = [_doc_texts(d, provider_name(*d.provider_key)) for d in docs]
    with ProcessPoolExecutor(2) as pool:
        tokens = list(pool.map(_index, texts, chunksize=2000))
    log(f"catalog: {n:,} entries generated and tokenised in {time.perf_counter() - start:.1f} s")
    return {"docs": docs, "tokens": tokens}


ENTRY_COLUMNS = ["id", "slug", "seq", "name", "summary", "domain", "themes", "industry", "provider_org_id",
                 "region_code", "open_class", "open_conditions", "data_type", "update_frequency", "contact_name",
                 "contact_phone", "contact_email", "field_count", "usage_terms", "scenarios", "citation", "status",
                 "review_round", "expert_review_requested", "needs_expert_review", "created_at", "updated_at",
                 "first_published_at", "data_updated_at", "views", "downloads"]
ITEM_COLUMNS = ["entry_id", "position", "name", "title", "type", "description", "sensitivity", "required", "unit"]


def _rows(docs: list, orgs: dict[tuple[str, str], int]) -> dict[str, list[tuple]]:
    now = dt.datetime(2026, 11, 1, 2, 0, 0)
    seqs: dict[int, int] = {}
    entries, items, tags, formats = [], [], [], []
    for i, d in enumerate(docs, start=1):
        org = orgs[d.provider_key]
        seq = seqs[org] = seqs.get(org, 0) + 1
        published = now - dt.timedelta(days=d.days_ago, minutes=i % 1440)
        entries.append((i, f"SZ-{org:04d}-{seq:04d}", seq, d.name, d.summary, d.domain,
                        json.dumps(d.themes, ensure_ascii=False), d.industry, org, d.region_code, d.open_class,
                        d.conditions, d.data_type, d.frequency, "数据管理科", "0512-65220000",
                        "opendata@suzhou.gov.cn", len(d.items), "使用本数据应注明数据来源。", d.scenarios, "",
                        "published", 1, False, False, published, published, published, published, d.views,
                        d.downloads))
        for pos, (title, kind) in enumerate(d.items):
            items.append((i, pos, f"f{pos + 1}", title, kind, title, "public", False, ""))
        tags.extend((i, t) for t in d.tags)
        formats.extend((i, f) for f in d.formats)
    return {"catalog_entry": entries, "catalog_data_item": items, "catalog_tag": tags, "catalog_format": formats}


def _providers(session) -> dict[tuple[str, str], int]:
    from kaifang.accounts import organisations
    from kaifang.accounts.schemas import OrganisationInput
    from kaifang.security import SYSTEM

    from .gen import AGENCIES

    orgs = {}
    for domain in AGENCIES:
        for code, _ in REGIONS:
            org = organisations.create_organisation(session, SYSTEM, OrganisationInput(
                name=provider_name(domain, code), kind="provider", region_code=code, domain=domain))
            orgs[(domain, code)] = org.id
    return orgs


def load(url: str, prepared: dict) -> dict:
    """Migrate ``url``, create the providers and bulk-load the catalog and its search index."""
    from sqlalchemy import text

    from kaifang import migrate
    from kaifang.db import make_engine, make_sessionmaker

    start = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        orgs = _providers(session)
    rows = _rows(prepared["docs"], orgs)
    tokens = prepared["tokens"]
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            _load_sqlite(raw, rows, tokens)
        else:
            _load_postgres(raw, rows, tokens)
    finally:
        raw.close()
    seconds = time.perf_counter() - start
    with sessions() as session:
        counts = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in rows}
        _verify(session, prepared, random.Random(7).sample(range(1, len(tokens) + 1), 300))
    log(f"catalog loaded into {engine.dialect.name} in {seconds:.1f} s: {counts}")
    engine.dispose()
    return {"load_seconds": seconds, "rows": counts}


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, bool):
        return int(v)
    return v


def _load_sqlite(raw, rows: dict[str, list[tuple]], tokens: list[tuple[str, str]]) -> None:
    cur = raw.cursor()
    cur.execute("BEGIN")
    for table, cols in (("catalog_entry", ENTRY_COLUMNS), ("catalog_data_item", ITEM_COLUMNS),
                        ("catalog_tag", ["entry_id", "tag"]), ("catalog_format", ["entry_id", "format"])):
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        cur.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows[table]))
    # The statement of search.index_entry, for every entry.
    cur.executemany("INSERT INTO catalog_search (rowid, entry_id, title, body) VALUES (?, ?, ?, ?)",
                    ((i, i, t, b) for i, (t, b) in enumerate(tokens, start=1)))
    cur.execute("COMMIT")


def _load_postgres(raw, rows: dict[str, list[tuple]], tokens: list[tuple[str, str]]) -> None:
    conn = raw.driver_connection
    with conn.cursor() as cur:
        # The entries go through a staging table with their tokens, so that the search vector is computed by
        # the expression of search.index_entry as each row is inserted (no second version of every row).
        # The facet arrays too (migration 0004: the entry's tags and formats in the database's order, nothing
        # for a not-open entry), so that no second version of every row is written by an UPDATE.
        cur.execute("CREATE TEMP TABLE bench_entry AS SELECT " + ", ".join(ENTRY_COLUMNS) +
                    ", ''::text AS title, ''::text AS body, '{}'::text[] AS tags, '{}'::text[] AS formats "
                    "FROM catalog_entry WITH NO DATA")
        tags: dict[int, list[str]] = {}
        for entry_id, tag in rows["catalog_tag"]:
            tags.setdefault(entry_id, []).append(tag)
        formats: dict[int, list[str]] = {}
        for entry_id, fmt in rows["catalog_format"]:
            formats.setdefault(entry_id, []).append(fmt)
        with cur.copy(f"COPY bench_entry ({', '.join(ENTRY_COLUMNS)}, title, body, tags, formats) FROM STDIN"
                      ) as copy:
            for row, (title, body) in zip(rows["catalog_entry"], tokens, strict=True):
                copy.write_row((*row, title, body, tags.get(row[0], []), formats.get(row[0], [])))
        cols = ", ".join(ENTRY_COLUMNS)
        cur.execute(f"INSERT INTO catalog_entry ({cols}, search_vector, search_tags, search_formats) SELECT {cols}, "
                    "setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B'), "
                    "CASE WHEN open_class = 'not_open' THEN NULL ELSE ARRAY(SELECT unnest(tags) ORDER BY 1) END, "
                    "CASE WHEN open_class = 'not_open' THEN NULL ELSE ARRAY(SELECT unnest(formats) ORDER BY 1) END "
                    "FROM bench_entry")
        cur.execute("SELECT setval(pg_get_serial_sequence('catalog_entry', 'id'), (SELECT max(id) FROM catalog_entry))")
        for table, cols_ in (("catalog_data_item", ITEM_COLUMNS), ("catalog_tag", ["entry_id", "tag"]),
                             ("catalog_format", ["entry_id", "format"])):
            with cur.copy(f"COPY {table} ({', '.join(cols_)}) FROM STDIN") as copy:
                for row in rows[table]:
                    copy.write_row(row)
    conn.commit()
    conn.autocommit = True
    for table in rows:
        conn.execute(f"VACUUM ANALYZE {table}")  # what autovacuum does after a bulk change
    conn.autocommit = False


def _verify(session, prepared: dict, ids: list[int]) -> None:
    """The index of sampled entries equals what ``search._documents`` makes of them in this database."""
    from sqlalchemy import text

    from kaifang.catalog import search
    from kaifang.catalog.models import CatalogEntry

    postgres = session.get_bind().dialect.name == "postgresql"
    for entry_id in ids:
        entry = session.get(CatalogEntry, entry_id)
        if search._documents(session, entry) != prepared["tokens"][entry_id - 1]:
            raise RuntimeError(f"catalog entry {entry_id}: the bulk-built index differs from the product's")
        if postgres:  # the facet arrays too: what index_entry writes, compared with what was bulk-loaded
            loaded = session.execute(text("SELECT search_tags, search_formats FROM catalog_entry WHERE id = :id"),
                                     {"id": entry_id}).one()
            search.index_entry(session, entry)
            if session.execute(text("SELECT search_tags, search_formats FROM catalog_entry WHERE id = :id"),
                               {"id": entry_id}).one() != loaded:
                raise RuntimeError(f"catalog entry {entry_id}: the bulk-built facet arrays differ from the product's")
    session.rollback()


def measure(url: str, runs: int) -> dict:
    from kaifang.catalog.search import search_entries
    from kaifang.db import make_engine, make_sessionmaker
    from kaifang.security import ANONYMOUS

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    provider = None
    with sessions() as session:
        from sqlalchemy import text

        provider = session.execute(text("SELECT id FROM organisation WHERE name = '苏州市交通运输局'")).scalar()
    faceted = [*FACETED_QUERIES, ("线路", {"provider": provider})]

    def timed(q: str | None, filters: dict[str, Any]) -> tuple[float, int]:
        with sessions() as session:
            start = time.perf_counter()
            result = search_entries(session, ANONYMOUS, q, **filters)
            return (time.perf_counter() - start) * 1000, result.total

    out: dict[str, Any] = {}
    # "browse": the catalog's front page, no words and no filter (facets over every published entry).
    for kind, queries in (("keyword", [(q, {}) for q in KEYWORD_QUERIES]), ("faceted", faceted),
                          ("browse", [(None, {})])):
        times: list[float] = []
        per_query = []
        for q, filters in queries:
            _, total = timed(q, filters)  # warm-up
            ms = [timed(q, filters)[0] for _ in range(runs)]
            times += ms
            per_query.append({"q": q, "filters": filters, "total": total, "ms": summary(ms, keep=False)})
        out[kind] = {"ms": summary(times, keep=False), "queries": per_query}
    engine.dispose()
    return out
