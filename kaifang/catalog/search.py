"""A9.2 目录检索: full-text search over the published catalog, with facets, highlighting and ranking.

One interface, two backends chosen by the session's database:
- SQLite: the FTS5 table ``catalog_search`` (rowid = entry id), ranked with bm25 (title weighs 10, body 1);
- PostgreSQL: ``catalog_entry.search_vector`` = title tokens with weight A || body tokens with weight B,
  ranked with ts_rank_cd.
Both hold jieba search-mode tokens (kaifang/catalog/segment.py). A query matches entries containing every
query word (each as a whole or through its sub-words); when no entry does, any word will do.

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
    Float,
    Integer,
    Select,
    String,
    cast,
    column,
    exists,
    func,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from kaifang.accounts.models import Organisation, Region
from kaifang.catalog import segment
from kaifang.catalog.models import CatalogEntry, CatalogFormat, CatalogTag, DataItem
from kaifang.catalog.schemas import EntryCard, FacetValue, SearchResult
from kaifang.catalog.visibility import sees_internals
from kaifang.catalog.vocabulary import DOMAINS, FORMATS, FREQUENCY_LABELS, OPEN_CLASS_LABELS, OpenClass
from kaifang.catalog.workflow import PUBLISHED
from kaifang.security import PUBLIC, Principal, query
from kaifang.web.pagination import MAX_PER_PAGE

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
    if entry.status != PUBLISHED:
        remove_entry(session, entry.id)
        return
    session.flush()
    title, body = _documents(session, entry)
    params = {"id": entry.id, "title": title, "body": body}
    if _dialect(session) == "postgresql":
        session.execute(text(
            "UPDATE catalog_entry SET search_vector = setweight(to_tsvector('simple', :title), 'A') "
            "|| setweight(to_tsvector('simple', :body), 'B') WHERE id = :id"), params)
    else:
        session.execute(text("DELETE FROM catalog_search WHERE rowid = :id"), params)
        session.execute(text("INSERT INTO catalog_search (rowid, entry_id, title, body) "
                             "VALUES (:id, :id, :title, :body)"), params)


def remove_entry(session: Session, entry_id: int) -> None:
    if _dialect(session) == "postgresql":
        session.execute(text("UPDATE catalog_entry SET search_vector = NULL WHERE id = :id"), {"id": entry_id})
    else:
        session.execute(text("DELETE FROM catalog_search WHERE rowid = :id"), {"id": entry_id})


def reindex_all(session: Session) -> int:
    """Rebuild the index of every published entry (maintenance, e.g. after a dictionary change)."""
    entries = session.execute(select(CatalogEntry).where(CatalogEntry.status == PUBLISHED)).scalars().all()
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


def _matches(session: Session, words: list[segment.QueryWord], any_word: bool, scored: bool = True) -> Any:
    """A subquery (entry_id, score) of the entries matching ``words``; a higher score is more relevant.
    Without ``scored``, only entry_id: counting needs no rank, and ranking every match costs."""
    if _dialect(session) == "postgresql":
        params: dict[str, str] = {}
        groups = []
        for i, w in enumerate(words):
            params[f"w{i}"] = w.word
            group = f"plainto_tsquery('simple', :w{i})"
            if w.parts:
                params[f"p{i}"] = " ".join(w.parts)
                group = f"({group} || plainto_tsquery('simple', :p{i}))"
            groups.append(group)
        tsq = "(" + (" || " if any_word else " && ").join(groups) + ")"
        score = f", ts_rank_cd(search_vector, {tsq}) AS score" if scored else ""
        sql = f"SELECT id AS entry_id{score} FROM catalog_entry WHERE search_vector @@ {tsq}"
        stmt = text(sql).bindparams(**params)
    else:
        # LIMIT -1 (no limit) keeps SQLite from flattening the match into the outer join: flattened, it scans
        # catalog_entry and runs the full-text MATCH once per entry (2.8 s at 100,000 entries, bench/); kept
        # apart, the matches are computed once and joined by id (3 ms).
        score = f", -bm25(catalog_search, 0.0, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score" if scored else ""
        stmt = text(f"SELECT rowid AS entry_id{score} FROM catalog_search WHERE catalog_search MATCH :expr LIMIT -1"
                    ).bindparams(expr=_fts_expression(words, any_word))
    columns = [column("entry_id", Integer), *([column("score", Float)] if scored else [])]
    return stmt.columns(*columns).subquery("m")


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
    conds: list[Any] = [status == PUBLISHED]
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


def _facets(session: Session, found: Select[Any]) -> tuple[int, dict[str, list[FacetValue]]]:
    """The size of the result set ``found`` (a select of entry ids) and its facet counts, in one statement:
    the set is computed once with the entry columns the facets need (a materialized CTE) and counted three
    ways (by those columns, by tag, by format); the entry-level counts are summed per facet here. Restricted
    fields (format, frequency, tags) count only entries that are not "not open" (A7.2)."""
    result = (found.add_columns(CatalogEntry.open_class, CatalogEntry.domain, CatalogEntry.region_code,
                                CatalogEntry.update_frequency, CatalogEntry.provider_org_id)
              .cte("found").prefix_with("MATERIALIZED"))
    # Restricted fields count only entries that are not "not open"; IN (not a join) lets SQLite walk the
    # set and seek each entry's tags and formats by primary key instead of scanning those tables.
    shown = select(result.c.id).where(result.c.open_class != OpenClass.NOT_OPEN)
    none = cast(null(), String)
    keys = (result.c.domain, result.c.region_code, result.c.open_class, result.c.update_frequency,
            result.c.provider_org_id)
    by_entry = (select(literal("e").label("kind"), *(k.label(n) for k, n in zip(keys, "abcdp", strict=True)),
                       func.count().label("n")).group_by(*keys))
    by_tag = (select(literal("t"), CatalogTag.tag, none, none, none, cast(null(), Integer), func.count())
              .where(CatalogTag.entry_id.in_(shown)).group_by(CatalogTag.tag))
    by_format = (select(literal("f"), CatalogFormat.format, none, none, none, cast(null(), Integer), func.count())
                 .where(CatalogFormat.entry_id.in_(shown)).group_by(CatalogFormat.format))
    domains: Counter[Any] = Counter()
    providers: Counter[int] = Counter()
    regions: Counter[str] = Counter()
    classes: Counter[Any] = Counter()
    frequencies: Counter[Any] = Counter()
    tags: dict[str, int] = {}
    fmts: dict[str, int] = {}
    total = 0
    for kind, a, b, c, d, p, n in session.execute(union_all(by_entry, by_tag, by_format)).all():
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
        else:
            fmts[a] = n
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
    }


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
        base = dict(id=e.id, slug=e.slug, name=e.name, provider_id=e.provider_org_id,
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

    # Every word must match; when no entry matches them all, any word will do. The facet statement counts the
    # result set too, so it is also the probe.
    sqlite = _dialect(session) == "sqlite"
    any_word = False
    for any_word in (False, True) if len(words) > 1 else (False,):
        base = select(CatalogEntry.id).where(*_where(filters, sqlite))
        if words:
            found = _matches(session, words, any_word, scored=False)
            base = base.join(found, found.c.entry_id == CatalogEntry.id)
        total, facets = _facets(session, base)
        if total:
            break

    stmt = select(CatalogEntry).where(*_where(filters, sqlite))
    match = None
    if words:
        match = _matches(session, words, any_word)
        stmt = stmt.join(match, match.c.entry_id == CatalogEntry.id)
    if sort == "popular":
        stmt = stmt.order_by(CatalogEntry.downloads.desc(), CatalogEntry.views.desc(), CatalogEntry.id.desc())
    elif sort == "relevance" and match is not None:
        stmt = stmt.order_by(match.c.score.desc(), CatalogEntry.updated_at.desc(), CatalogEntry.id.desc())
    else:
        stmt = stmt.order_by(CatalogEntry.updated_at.desc(), CatalogEntry.id.desc())
    entries = list(session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars())

    terms = segment.highlight_terms(words)
    items = cards(session, entries, principal)
    highlights = {c.id: (mark(c.name, terms), mark(c.summary, terms)) for c in items}
    return SearchResult(items=items, total=total, page=page, per_page=per_page, facets=facets,
                        highlights=highlights, query_terms=tuple(terms))

