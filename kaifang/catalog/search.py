"""A9.2 目录检索: full-text search over the published catalog, with facets, highlighting and ranking.

One interface, two backends chosen by the session's database:
- SQLite: the FTS5 table ``catalog_search`` (rowid = entry id), ranked with bm25 (title weighs 10, body 1);
- PostgreSQL: ``catalog_entry.search_vector`` = title tokens with weight A || body tokens with weight B,
  ranked with ts_rank_cd; ``search_tags`` and ``search_formats`` hold the entry's tag and format facet values.
Both hold jieba search-mode tokens (kaifang/catalog/segment.py). A query matches entries containing every
query word (each as a whole or through its sub-words); when no entry does, any word will do.

One statement per search computes the result set once and reads from it the total, every facet count and
the page (bench/ measures it at 100,000 entries).

Only published entries are indexed. A not-open entry (A7.2) is indexed by its name and provider only, and
restricted fields (formats, frequency, tags) never match or count for it, so nothing hidden leaks.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    ARRAY,
    Float,
    Integer,
    String,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from kaifang.accounts import Organisation, Region
from kaifang.catalog import segment
from kaifang.catalog.models import CatalogEntry, CatalogFormat, CatalogTag, DataItem
from kaifang.catalog.schemas import EntryCard, FacetValue, SearchResult
from kaifang.catalog.visibility import sees_internals
from kaifang.catalog.vocabulary import DOMAINS, FORMATS, FREQUENCY_LABELS, OPEN_CLASS_LABELS, OpenClass
from kaifang.catalog.workflow import EntryState
from kaifang.pagination import MAX_PER_PAGE
from kaifang.security import PUBLIC, Principal, query

SORTS = ("relevance", "updated", "popular")
MAX_TAG_FACETS = 30
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# --- indexing -----------------------------------------------------------------------------------

def _documents(session: Session, entry: CatalogEntry) -> tuple[str, str]:
    """The (title, body) token strings of an entry; a not-open entry shows only its name and provider."""
    provider = session.execute(select(Organisation.name).where(Organisation.id == entry.provider_org_id)).scalar_one()
    title = segment.index_text(entry.name)
    if entry.open_class == OpenClass.NOT_OPEN:
        return title, segment.index_text(provider)
    tags = session.execute(select(CatalogTag.tag).where(CatalogTag.entry_id == entry.id)).scalars().all()
    items = session.execute(select(DataItem.title).where(DataItem.entry_id == entry.id)
                            .order_by(DataItem.position)).scalars().all()
    themes = json.loads(entry.themes or "[]")
    body = " ".join([entry.summary, provider, *tags, *themes, entry.industry, entry.scenarios, *items])
    return title, segment.index_text(body)


def index_entry(session: Session, entry: CatalogEntry) -> None:
    """(Re)index an entry inside the caller's transaction; an unpublished one is removed from the index."""
    if entry.status != EntryState.PUBLISHED:
        remove_entry(session, entry.id)
        return
    session.flush()
    title, body = _documents(session, entry)
    params = {"id": entry.id, "title": title, "body": body}
    if _dialect(session) == "postgresql":
        # The facet arrays (migration 0004) hold nothing for a not-open entry: its restricted fields never count.
        session.execute(text(
            "UPDATE catalog_entry SET search_vector = setweight(to_tsvector('simple', :title), 'A') "
            "|| setweight(to_tsvector('simple', :body), 'B'), "
            "search_tags = CASE WHEN open_class = 'not_open' THEN NULL ELSE "
            "ARRAY(SELECT tag FROM catalog_tag WHERE entry_id = :id ORDER BY tag) END, "
            "search_formats = CASE WHEN open_class = 'not_open' THEN NULL ELSE "
            "ARRAY(SELECT format FROM catalog_format WHERE entry_id = :id ORDER BY format) END "
            "WHERE id = :id"), params)
    else:
        session.execute(text("DELETE FROM catalog_search WHERE rowid = :id"), params)
        session.execute(text("INSERT INTO catalog_search (rowid, entry_id, title, body) "
                             "VALUES (:id, :id, :title, :body)"), params)


def remove_entry(session: Session, entry_id: int) -> None:
    if _dialect(session) == "postgresql":
        session.execute(text("UPDATE catalog_entry SET search_vector = NULL, search_tags = NULL, "
                             "search_formats = NULL WHERE id = :id"), {"id": entry_id})
    else:
        session.execute(text("DELETE FROM catalog_search WHERE rowid = :id"), {"id": entry_id})


def reindex_all(session: Session) -> int:
    """Rebuild the index of every published entry (maintenance, e.g. after a dictionary change)."""
    entries = session.execute(select(CatalogEntry).where(CatalogEntry.status == EntryState.PUBLISHED)).scalars().all()
    for entry in entries:
        index_entry(session, entry)
    return len(entries)


# --- matching -----------------------------------------------------------------------------------

def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts_expression(words: list[segment.QueryWord], any_word: bool) -> str:
    groups = []
    for w in words:
        alternatives = [_fts_phrase(w.word)]
        if w.parts:
            alternatives.append("(" + " AND ".join(_fts_phrase(p) for p in w.parts) + ")")
        groups.append("(" + " OR ".join(alternatives) + ")")
    return (" OR " if any_word else " AND ").join(groups)


def _match(session: Session, words: list[segment.QueryWord], any_word: bool) -> tuple[Any, Any, Any]:
    """(from clause, condition, score) selecting the published entries that match ``words``; a higher score is
    more relevant. The match is a condition on the entry rows, so that the score is computed only for the
    entries every filter keeps (a broad word and a narrow filter rank the few, not the many)."""
    if _dialect(session) == "postgresql":
        groups: list[Any] = []
        for w in words:
            group: Any = func.plainto_tsquery(literal_column("'simple'"), literal(w.word, String))
            if w.parts:
                group = group.op("||")(func.plainto_tsquery(literal_column("'simple'"),
                                                            literal(" ".join(w.parts), String)))
            groups.append(group)
        tsq = groups[0]
        for g in groups[1:]:
            tsq = tsq.op("||" if any_word else "&&")(g)
        vector: Any = literal_column("catalog_entry.search_vector")
        return CatalogEntry, vector.op("@@")(tsq), func.ts_rank_cd(vector, tsq)
    # The full-text table leads the join (``+`` keeps SQLite from probing it once per entry by rowid, 2.8 s at
    # 100,000 entries, bench/), and each match is joined to its entry by primary key.
    fts = table("catalog_search", column("rowid", Integer))
    joined = fts.join(CatalogEntry, CatalogEntry.id == literal_column("+catalog_search.rowid", Integer))
    condition = literal_column("catalog_search").op("MATCH")(literal(_fts_expression(words, any_word), String))
    score = -func.bm25(literal_column("catalog_search"), literal_column("0.0"), literal_column(str(TITLE_WEIGHT)),
                       literal_column(str(BODY_WEIGHT)))
    return joined, condition, score


# --- filters and facets -------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    domain: str | None = None
    provider: int | None = None
    region: str | None = None
    open_class: str | None = None
    fmt: str | None = None
    frequency: str | None = None
    tags: tuple[str, ...] = ()


def _where(f: Filters, sqlite: bool = False) -> list[Any]:
    # On SQLite ``status || ''``: the same test, but no index on it. Nearly every entry is published, and
    # SQLite, which keeps no statistics here, would otherwise walk the status index rather than the selective
    # one of a filter (domain, provider, region...): 45 ms instead of 4 ms at 100,000 entries (bench/).
    # PostgreSQL has statistics, and the expression would hide them from its planner.
    status = CatalogEntry.status.concat("") if sqlite else CatalogEntry.status
    conds: list[Any] = [status == EntryState.PUBLISHED]
    open_fields = CatalogEntry.open_class != OpenClass.NOT_OPEN  # restricted fields never match (A7.2)
    if f.domain:
        conds.append(CatalogEntry.domain == f.domain)
    if f.provider is not None:
        conds.append(CatalogEntry.provider_org_id == f.provider)
    if f.region:
        conds.append(CatalogEntry.region_code == f.region)
    if f.open_class:
        conds.append(CatalogEntry.open_class == f.open_class)
    if f.fmt:
        conds += [open_fields, exists().where(CatalogFormat.entry_id == CatalogEntry.id,
                                              CatalogFormat.format == f.fmt.lower())]
    if f.frequency:
        conds += [open_fields, CatalogEntry.update_frequency == f.frequency]
    for tag in f.tags:
        conds += [open_fields, exists().where(CatalogTag.entry_id == CatalogEntry.id, CatalogTag.tag == tag)]
    return conds


def _ordered(rows: list[tuple[Any, int]], labels: dict[str, str]) -> list[FacetValue]:
    order = list(labels)
    return [(v, labels[v], n) for v, n in sorted(rows, key=lambda r: order.index(r[0])) if v in labels]


def _search(session: Session, filters: Filters, words: list[segment.QueryWord], any_word: bool, sort: str,
            per_page: int, offset: int) -> tuple[int, dict[str, list[FacetValue]], list[int]]:
    """The result set's size, its facet counts and the ids of the requested page, in one statement: the set
    (the published entries that pass the filters and match the words, with their score and sort keys) is
    computed once (a materialized CTE) and read four ways: counted by the entry columns the facets need, by
    tag, by format, and ordered for the page. Restricted fields (format, frequency, tags) count only entries
    that are not "not open" (A7.2)."""
    sqlite = _dialect(session) == "sqlite"
    columns: tuple[Any, ...] = (CatalogEntry.id, CatalogEntry.open_class, CatalogEntry.domain, CatalogEntry.region_code,
               CatalogEntry.update_frequency, CatalogEntry.provider_org_id, CatalogEntry.updated_at,
               CatalogEntry.downloads, CatalogEntry.views)
    if not sqlite:  # the entry's tags and formats, as arrays kept by index_entry (migration 0004)
        columns += (literal_column("catalog_entry.search_tags", ARRAY(String)).label("tags"),
                    literal_column("catalog_entry.search_formats", ARRAY(String)).label("formats"))
    if words:
        source, condition, score = _match(session, words, any_word)
        found = (select(*columns, score.label("score")).select_from(source)
                 .where(condition, *_where(filters, sqlite)))
    else:
        found = select(*columns, literal(0.0, Float).label("score")).where(*_where(filters, sqlite))
    result = found.cte("found").prefix_with("MATERIALIZED")
    none = cast(null(), String)
    keys = (result.c.domain, result.c.region_code, result.c.open_class, result.c.update_frequency,
            result.c.provider_org_id)
    by_entry = (select(literal("e").label("kind"), *(k.label(n) for k, n in zip(keys, "abcdp", strict=True)),
                       func.count().label("n")).group_by(*keys))
    shown = result.c.open_class != OpenClass.NOT_OPEN
    if sqlite:
        # IN (not a join) lets SQLite walk the set and seek each entry's tags and formats by primary key
        # instead of scanning those tables.
        ids = select(result.c.id).where(shown)
        tag_values = select(CatalogTag.tag.label("v")).where(CatalogTag.entry_id.in_(ids)).subquery("tv")
        format_values = (select(CatalogFormat.format.label("v")).where(CatalogFormat.entry_id.in_(ids))
                         .subquery("fv"))
    else:
        tag_values = select(func.unnest(result.c.tags, type_=String).label("v")).where(shown).subquery("tv")
        format_values = select(func.unnest(result.c.formats, type_=String).label("v")).where(shown).subquery("fv")
    by_tag = (select(literal("t"), tag_values.c.v, none, none, none, cast(null(), Integer), func.count())
              .group_by(tag_values.c.v))
    by_format = (select(literal("f"), format_values.c.v, none, none, none, cast(null(), Integer), func.count())
                 .group_by(format_values.c.v))
    if sort == "popular":
        order = [result.c.downloads.desc(), result.c.views.desc(), result.c.id.desc()]
    elif sort == "relevance" and words:
        order = [result.c.score.desc(), result.c.updated_at.desc(), result.c.id.desc()]
    else:
        order = [result.c.updated_at.desc(), result.c.id.desc()]
    page = (select(result.c.id.label("id"), func.row_number().over(order_by=order).label("n"))
            .order_by(*order).limit(per_page).offset(offset).subquery("page"))
    by_page = select(literal("r"), none, none, none, none, page.c.id, page.c.n)

    domains: Counter[Any] = Counter()
    providers: Counter[int] = Counter()
    regions: Counter[str] = Counter()
    classes: Counter[Any] = Counter()
    frequencies: Counter[Any] = Counter()
    tags: dict[str, int] = {}
    fmts: dict[str, int] = {}
    listed: list[tuple[int, int]] = []
    total = 0
    for kind, a, b, c, d, p, n in session.execute(union_all(by_entry, by_tag, by_format, by_page)).all():
        if kind == "e":
            total += n
            domains[a] += n
            regions[b] += n
            classes[c] += n
            providers[p] += n
            if c is not None and c != OpenClass.NOT_OPEN:
                frequencies[d] += n
        elif kind == "t":
            tags[a] = n
        elif kind == "f":
            fmts[a] = n
        else:
            listed.append((n, p))
    names = dict(session.execute(select(Organisation.id, Organisation.name)
                                 .where(Organisation.id.in_(list(providers)))).all()) if providers else {}
    places = session.execute(select(Region.code, Region.name, Region.sort_order)
                             .where(Region.code.in_(list(regions)))).all() if regions else []
    return total, {
        "domain": _ordered(list(domains.items()), DOMAINS),
        "provider": [(str(i), names[i], n) for i, n in sorted(providers.items(), key=lambda r: (-r[1], names[r[0]]))
                     if i in names],
        "region": [(code, name, regions[code]) for code, name, _o in sorted(places, key=lambda r: r[2])],
        "open_class": _ordered(list(classes.items()), OPEN_CLASS_LABELS),
        "format": _ordered(list(fmts.items()), FORMATS),
        "frequency": _ordered(list(frequencies.items()), FREQUENCY_LABELS),
        "tags": [(t, t, n) for t, n in sorted(tags.items(), key=lambda r: (-r[1], r[0]))[:MAX_TAG_FACETS]],
    }, [i for _n, i in sorted(listed)]


# --- results ------------------------------------------------------------------------------------

def cards(session: Session, entries: list[CatalogEntry], viewer: Principal) -> list[EntryCard]:
    """Cards for ``entries`` in one query per related table. Not-open entries are restricted (A7.2) for a
    ``viewer`` who does not see the entry's internals."""
    ids = [e.id for e in entries]
    names = dict(session.execute(select(Organisation.id, Organisation.name)
                                 .where(Organisation.id.in_({e.provider_org_id for e in entries}))).all())
    formats: dict[int, list[str]] = {}
    for entry_id, fmt in session.execute(select(CatalogFormat.entry_id, CatalogFormat.format)
                                         .where(CatalogFormat.entry_id.in_(ids)).order_by(CatalogFormat.format)):
        formats.setdefault(entry_id, []).append(fmt)
    tags: dict[int, list[str]] = {}
    for entry_id, tag in session.execute(select(CatalogTag.entry_id, CatalogTag.tag)
                                         .where(CatalogTag.entry_id.in_(ids)).order_by(CatalogTag.tag)):
        tags.setdefault(entry_id, []).append(tag)
    out = []
    for e in entries:
        base: dict[str, Any] = dict(id=e.id, slug=e.slug, name=e.name, provider_id=e.provider_org_id,
                                    provider_name=names.get(e.provider_org_id, ""), region_code=e.region_code,
                                    open_class=e.open_class, status=e.status)
        if e.open_class == OpenClass.NOT_OPEN and not sees_internals(viewer, e):
            out.append(EntryCard(**base, restricted=True))
            continue
        out.append(EntryCard(
            **base, restricted=False, domain=e.domain, summary=e.summary, data_type=e.data_type,
            update_frequency=e.update_frequency, formats=tuple(formats.get(e.id, ())), tags=tuple(tags.get(e.id, ())),
            updated_at=e.updated_at, first_published_at=e.first_published_at, views=e.views, downloads=e.downloads))
    return out


def mark(value: str, terms: list[str]) -> Markup:
    """``value`` HTML-escaped, with each occurrence of ``terms`` (longest first) wrapped in <mark>."""
    if not value or not terms:
        return Markup(escape(value or ""))
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(value):
        out.append(escape(value[pos:m.start()]))
        out.append(Markup("<mark>%s</mark>") % value[m.start():m.end()])
        pos = m.end()
    out.append(escape(value[pos:]))
    return Markup("").join(out)


@query(PUBLIC)
def search_entries(
    session: Session, principal: Principal, q: str | None = None, *, domain: str | None = None,
    provider: int | str | None = None, region: str | None = None, open_class: str | None = None,
    fmt: str | None = None, frequency: str | None = None, tags: list[str] | tuple[str, ...] | None = None,
    sort: str = "relevance", page: int = 1, per_page: int = 20,
) -> SearchResult:
    """A9.2: search the published catalog (anyone may). Empty ``q``: every published entry, newest first.

    Facets count the filtered result set; ``highlights`` maps each listed entry to its title and summary
    with the query's words in <mark>, HTML-escaped. Not-open entries come back restricted (A7.2).
    """
    try:
        provider_id = int(provider) if provider not in (None, "") else None
    except ValueError:
        provider_id = -1  # an unknown provider matches nothing, like any other unknown value
    filters = Filters(domain or None, provider_id, region or None, open_class or None, fmt or None,
                      frequency or None, tuple(t.strip() for t in tags or () if t.strip()))
    words = segment.query_words(q)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)

    # Every word must match; when no entry matches them all, any word will do.
    any_word = False
    for any_word in (False, True) if len(words) > 1 else (False,):
        total, facets, ids = _search(session, filters, words, any_word, sort, per_page, (page - 1) * per_page)
        if total:
            break
    by_id = {e.id: e for e in session.execute(select(CatalogEntry).where(CatalogEntry.id.in_(ids))).scalars()}
    entries = [by_id[i] for i in ids if i in by_id]

    terms = segment.highlight_terms(words)
    items = cards(session, entries, principal)
    highlights = {c.id: (mark(c.name, terms), mark(c.summary, terms)) for c in items}
    return SearchResult(items=items, total=total, page=page, per_page=per_page, facets=facets,
                        highlights=highlights, query_terms=tuple(terms))

