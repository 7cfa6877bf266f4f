"""A9.2 目录检索, A17.1: the public catalog. A search box, facets with counts whose links add or remove one
filter and keep every other parameter, three sorts, highlighted result cards, paging.

Unknown filter values are dropped rather than searched for, so that a crafted link can neither echo
markup nor select something that does not exist. Not-open entries come back restricted from the search
(A7.2): their cards show only the name and the provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.catalog import DOMAINS, FORMATS, FREQUENCY_LABELS, OPEN_CLASS_LABELS, search_entries
from kaifang.catalog.schemas import FacetValue, SearchResult
from kaifang.catalog.search import SORTS
from kaifang.pagination import Page
from kaifang.security import Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, get_principal, page_number
from kaifang.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(get_principal)]

MAX_QUERY_LENGTH = 200
MAX_TAGS = 5
MAX_TAG_LENGTH = 50
PER_PAGE = 20
MAX_PAGE = 10_000
_DIGITS = re.compile(r"^\d{1,12}$")
_REGION = re.compile(r"^\d{6}$")

# (query parameter, key of SearchResult.facets), in the order of the links' parameters.
FACETS: tuple[tuple[str, str], ...] = (
    ("domain", "domain"), ("provider", "provider"), ("region", "region"), ("open_class", "open_class"),
    ("format", "format"), ("frequency", "frequency"), ("tag", "tags"),
)
# Vocabularies: code -> label (msgids, except the formats' own names). Other facets show proper names.
_VOCABULARIES: dict[str, dict[str, str]] = {"domain": DOMAINS, "open_class": OPEN_CLASS_LABELS, "format": FORMATS,
                                            "frequency": FREQUENCY_LABELS}
# Small fixed vocabularies listed whole, with a count of 0 where nothing matches (A7.1, A17.1).
_LISTED_WHOLE = ("domain", "open_class")


@dataclass(frozen=True)
class CatalogQuery:
    """The catalog's query string, checked. ``url()`` rebuilds it with some values changed."""

    q: str = ""
    domain: str = ""
    provider: str = ""
    region: str = ""
    open_class: str = ""
    format: str = ""
    frequency: str = ""
    tag: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1

    @property
    def filtered(self) -> bool:
        return any((self.domain, self.provider, self.region, self.open_class, self.format, self.frequency, self.tag))

    def pairs(self, *, page: bool = True) -> list[tuple[str, str]]:
        out = [(k, getattr(self, k)) for k in ("q", "domain", "provider", "region", "open_class", "format",
                                                "frequency") if getattr(self, k)]
        out += [("tag", t) for t in self.tag]
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if page and self.page > 1:
            out.append(("page", str(self.page)))
        return out

    def url(self, **changes: object) -> str:
        """The catalog URL of this query with ``changes``; a changed filter or sort starts at page 1."""
        target = replace(self, page=1, **changes)  # type: ignore[arg-type]
        pairs = target.pairs()
        return "/catalog?" + urlencode(pairs) if pairs else "/catalog"

    def toggle(self, param: str, value: str) -> str:
        """The URL that adds the filter ``param=value``, or removes it when it is already chosen."""
        if param == "tag":
            tags = tuple(t for t in self.tag if t != value) if value in self.tag else (*self.tag, value)
            return self.url(tag=tags)
        return self.url(**{param: "" if getattr(self, param) == value else value})

    def pager_base(self) -> str:
        pairs = self.pairs(page=False)
        return "/catalog?" + (urlencode(pairs) + "&" if pairs else "")


def _one(value: str, allowed: object) -> str:
    return value if value in allowed else ""  # type: ignore[operator]


def parse_query(request: Request) -> CatalogQuery:
    params = request.query_params
    tags: list[str] = []
    for raw in params.getlist("tag"):
        tag = " ".join(raw.split())
        if tag and len(tag) <= MAX_TAG_LENGTH and tag not in tags:
            tags.append(tag)
    provider, region = params.get("provider", ""), params.get("region", "")
    return CatalogQuery(
        q=params.get("q", "").strip()[:MAX_QUERY_LENGTH],
        domain=_one(params.get("domain", ""), DOMAINS),
        provider=provider if _DIGITS.match(provider) else "",
        region=region if _REGION.match(region) else "",
        open_class=_one(params.get("open_class", ""), OPEN_CLASS_LABELS),
        format=_one(params.get("format", ""), FORMATS),
        frequency=_one(params.get("frequency", ""), FREQUENCY_LABELS),
        tag=tuple(tags[:MAX_TAGS]),
        sort=_one(params.get("sort", ""), SORTS) or "relevance",
        page=min(page_number(params.get("page", "1")), MAX_PAGE),
    )


@dataclass(frozen=True)
class FacetLink:
    value: str
    label: str
    translate: bool  # the label is a msgid (vocabularies), not a proper name (providers, regions, tags)
    count: int
    selected: bool
    href: str


@dataclass(frozen=True)
class Facet:
    param: str
    links: list[FacetLink] = field(default_factory=list)


def _facet(query: CatalogQuery, param: str, values: list[FacetValue]) -> Facet:
    vocabulary = _VOCABULARIES.get(param)
    counts = {v: n for v, _label, n in values}
    names = {v: label for v, label, _n in values}
    codes = list(vocabulary or ()) if param in _LISTED_WHOLE else [v for v, _label, _n in values]
    chosen = set(query.tag) if param == "tag" else {getattr(query, param)} - {""}
    # A chosen value stays listed (so that it can be removed) even when nothing matches it any more.
    codes += [v for v in sorted(chosen) if v not in codes]
    return Facet(param, [
        FacetLink(v, vocabulary.get(v, v) if vocabulary else names.get(v, v),
                  vocabulary is not None and param != "format", counts.get(v, 0), v in chosen, query.toggle(param, v))
        for v in codes
    ])


def facets_of(query: CatalogQuery, result: SearchResult) -> dict[str, Facet]:
    return {param: _facet(query, param, result.facets.get(key, [])) for param, key in FACETS}


@router.get("/catalog")
def catalog(request: Request, db: DB, principal: Me) -> Response:
    query = parse_query(request)
    result = search_entries(
        db, principal, query.q or None, domain=query.domain, provider=query.provider, region=query.region,
        open_class=query.open_class, fmt=query.format, frequency=query.frequency, tags=list(query.tag),
        sort=query.sort, page=query.page, per_page=PER_PAGE)
    return render(request, "catalog/search.html", {
        "query": query,
        "result": result,
        "frequency_labels": FREQUENCY_LABELS,
        "facets": facets_of(query, result),
        "page": Page(result.items, result.page, result.per_page, result.total),
        "sorts": [(s, query.url(sort=s), s == query.sort) for s in SORTS],
        "clear_filters_href": query.url(domain="", provider="", region="", open_class="", format="",
                                        frequency="", tag=()),
    })
