"""A9.2 目录检索: Chinese full-text search over a realistic published catalog, with facets, sorting,
highlighting, and not-open entries restricted to name and provider (A7.2). Runs on SQLite (FTS5) and on
PostgreSQL (tsvector) alike.

The catalog (49 entries of 18 providers) is built once per module through the real services, in a
transaction rolled back at the end, like every other test's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from kaifang.catalog import DataItemInput, EntryInput, record_download, record_view, search_entries
from kaifang.catalog.search import mark
from kaifang.config import Settings
from kaifang.security import ANONYMOUS, Principal, Role, RoleGrant
from kaifang.tasks import JobQueue
from tests.catalog.factories import make_org, publish_as_system
from tests.catalog.search_corpus import DOCS, PROVIDERS, QUERIES, Doc

ITEMS = [DataItemInput(name="record_id", title="记录编号", type="string", description="数据记录的唯一编号"),
         DataItemInput(name="updated_on", title="更新日期", type="date", description="该条记录的更新日期")]


@dataclass
class Catalog:
    session: Session
    ids: dict[str, int]  # entry name -> id
    orgs: dict[str, int]  # provider key -> organisation id


def _input(doc: Doc) -> EntryInput:
    return EntryInput(name=doc.name, summary=doc.summary, domain=doc.domain, tags=list(doc.tags),
                      formats=list(doc.formats), update_frequency=doc.frequency, open_class=doc.open_class,
                      open_conditions=doc.conditions, data_type=doc.data_type, items=list(ITEMS),
                      contact_name="数据管理员", contact_phone="0512-65220000")


@pytest.fixture(scope="module")
def catalog(engine: Engine, settings: Settings) -> Iterator[Catalog]:
    conn = engine.connect()
    trans = conn.begin()
    factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    factory.configure(info={"settings": settings, "queue": JobQueue(settings, factory)})
    session = factory()
    try:
        orgs = {key: make_org(session, name, region, domain=domain)
                for key, (name, region, domain) in PROVIDERS.items()}
        ids = {doc.name: publish_as_system(session, orgs[doc.provider], _input(doc)).id for doc in DOCS}
        yield Catalog(session, ids, orgs)
    finally:
        session.close()
        trans.rollback()
        conn.close()


def names(result) -> list[str]:
    return [c.name for c in result.items]


# --- relevance ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("q", "expected", "within"), QUERIES, ids=[q for q, _e, _w in QUERIES])
def test_a9_2_chinese_queries_find_the_right_entry(catalog: Catalog, q: str, expected: str, within: int) -> None:
    found = names(search_entries(catalog.session, ANONYMOUS, q))
    assert expected in found[:within], f"{q!r}: {found[:5]}"


def test_a9_2_there_are_enough_queries_and_entries() -> None:
    assert len(QUERIES) >= 30 and len(DOCS) >= 40
    assert {name for _q, name, _w in QUERIES} <= {d.name for d in DOCS}


def test_a9_2_all_words_must_match_before_any_word_will_do(catalog: Catalog) -> None:
    both = search_entries(catalog.session, ANONYMOUS, "昆山 个体工商户")
    assert names(both) == ["昆山市个体工商户登记信息"]
    # No entry has both words: the search falls back to entries having any of them, best first.
    either = search_entries(catalog.session, ANONYMOUS, "拙政园 地铁")
    assert set(names(either)[:2]) == {"苏州市旅游景区名录", "苏州市轨道交通站点信息"}
    assert search_entries(catalog.session, ANONYMOUS, "量子计算机").total == 0


def test_a9_2_query_syntax_is_never_interpreted(catalog: Catalog) -> None:
    for q in ['"空气 OR NOT (', "公交*", "AND", "'; DROP TABLE catalog_entry; --", "NEAR(公交 线路)", "：：，。"]:
        search_entries(catalog.session, ANONYMOUS, q)  # no error
    assert names(search_entries(catalog.session, ANONYMOUS, '"空气质量"'))[0] == "苏州市空气质量实时监测数据"


def test_a9_2_empty_query_lists_every_published_entry_newest_first(catalog: Catalog) -> None:
    result = search_entries(catalog.session, ANONYMOUS, None, per_page=100)
    assert result.total == len(DOCS)
    assert names(result) == [d.name for d in reversed(DOCS)]  # published in corpus order
    assert names(search_entries(catalog.session, ANONYMOUS, "  的  ", per_page=3)) == names(result)[:3]


# --- filters and facets -------------------------------------------------------------------------

def _expected_facets(docs: list[Doc]) -> dict[str, Counter]:
    open_docs = [d for d in docs if d.open_class != "not_open"]
    return {
        "domain": Counter(d.domain for d in docs),
        "open_class": Counter(d.open_class for d in docs),
        "region": Counter(PROVIDERS[d.provider][1] for d in docs),
        "provider": Counter(PROVIDERS[d.provider][0] for d in docs),
        "format": Counter(f for d in open_docs for f in d.formats),
        "frequency": Counter(d.frequency for d in open_docs),
        "tags": Counter(t for d in open_docs for t in d.tags),
    }


def _as_counter(values: list[tuple[str, str, int]], by_label: bool = False) -> Counter:
    return Counter({(label if by_label else value): n for value, label, n in values})


@pytest.mark.parametrize("filters", [{}, {"domain": "transport"}, {"open_class": "unconditional"},
                                     {"region": "320583"}, {"fmt": "geojson"}, {"frequency": "monthly"}])
def test_a9_2_facet_counts_over_the_filtered_set(catalog: Catalog, filters: dict[str, str]) -> None:
    result = search_entries(catalog.session, ANONYMOUS, None, **filters)
    docs = [d for d in DOCS if all((
        filters.get("domain") in (None, d.domain),
        filters.get("open_class") in (None, d.open_class),
        filters.get("region") in (None, PROVIDERS[d.provider][1]),
        filters.get("fmt") is None or (d.open_class != "not_open" and filters["fmt"] in d.formats),
        filters.get("frequency") is None or (d.open_class != "not_open" and filters["frequency"] == d.frequency),
    ))]
    assert result.total == len(docs)
    expected = _expected_facets(docs)
    for facet in ("domain", "open_class", "region", "format", "frequency"):
        assert _as_counter(result.facets[facet]) == expected[facet], facet
    assert _as_counter(result.facets["provider"], by_label=True) == expected["provider"]
    assert _as_counter(result.facets["tags"]) == Counter(dict(expected["tags"].most_common(30))) or \
        len(result.facets["tags"]) == 30


def test_a9_2_facet_values_carry_labels_and_order(catalog: Catalog) -> None:
    facets = search_entries(catalog.session, ANONYMOUS, None).facets
    assert facets["open_class"] == [("unconditional", "Unconditionally open", 43),
                                    ("conditional", "Conditionally open", 3), ("not_open", "Not open", 3)]
    assert facets["region"] == [("320500", "苏州市", 46), ("320508", "姑苏区", 1), ("320583", "昆山市", 2)]
    assert facets["domain"][0] == ("credit", "Public credit", 2)
    assert facets["provider"][0] == (str(catalog.orgs["transport"]), "苏州市交通运输局", 8)
    assert ("csv", "CSV", sum("csv" in d.formats for d in DOCS if d.open_class != "not_open")) in facets["format"]
    assert facets["frequency"][0] == ("realtime", "Real time", 3)


def test_a9_2_query_and_filters_combine(catalog: Catalog) -> None:
    result = search_entries(catalog.session, ANONYMOUS, "企业", region="320583")
    assert set(names(result)) == {"昆山市企业信用信息"}
    assert _as_counter(result.facets["region"]) == Counter({"320583": 1})
    by_provider = search_entries(catalog.session, ANONYMOUS, None, provider=catalog.orgs["ks_market"])
    assert set(names(by_provider)) == {"昆山市企业信用信息", "昆山市个体工商户登记信息"}
    assert search_entries(catalog.session, ANONYMOUS, None, provider="nonsense").total == 0
    tagged = search_entries(catalog.session, ANONYMOUS, None, tags=["出行"])
    assert set(names(tagged)) == {"苏州市公交线路信息", "苏州市公共自行车租赁点信息"}
    assert names(search_entries(catalog.session, ANONYMOUS, None, tags=["出行", "公交"])) == ["苏州市公交线路信息"]
    # A7.2: restricted fields of not-open entries neither match nor count.
    assert search_entries(catalog.session, ANONYMOUS, None, tags=["出租车"]).total == 0
    assert search_entries(catalog.session, ANONYMOUS, None, domain="transport", fmt="csv").total == 6


# --- A7.2 not-open entries ----------------------------------------------------------------------

def test_a7_2_not_open_entries_are_listed_with_name_and_provider_only(catalog: Catalog) -> None:
    result = search_entries(catalog.session, ANONYMOUS, "传染病")
    card = result.items[0]
    assert card.restricted and card.name == "苏州市传染病报告病例明细" and card.provider_name == "苏州市卫生健康委员会"
    assert (card.summary, card.formats, card.tags, card.update_frequency, card.domain) == ("", (), (), None, None)
    assert result.highlights[card.id] == (mark(card.name, ["传染病"]), "")
    # Its summary is not searchable ("个案信息" appears only there).
    assert "苏州市传染病报告病例明细" not in names(search_entries(catalog.session, ANONYMOUS, "个案"))
    # The provider's own staff see it in full.
    staff = Principal(user_id=1, label="staff@wjw", grants=frozenset(
        {RoleGrant(Role.PROVIDER_STAFF, catalog.orgs["health"], "320500")}))
    own = search_entries(catalog.session, staff, "传染病").items[0]
    assert not own.restricted and own.summary == "法定传染病报告病例的个案信息。"


# --- sorting, paging, highlighting --------------------------------------------------------------

def test_a9_2_sort_by_popularity_and_by_update(catalog: Catalog) -> None:
    s = catalog.session
    for name, downloads in (("苏州市天气预报数据", 5), ("苏州市公交线路信息", 3), ("苏州市企业登记信息", 1)):
        for _ in range(downloads):
            record_download(s, ANONYMOUS, catalog.ids[name])
    record_view(s, ANONYMOUS, catalog.ids["苏州市企业登记信息"])
    popular = names(search_entries(s, ANONYMOUS, None, sort="popular", per_page=3))
    assert popular == ["苏州市天气预报数据", "苏州市公交线路信息", "苏州市企业登记信息"]
    by_update = names(search_entries(s, ANONYMOUS, "公交", sort="updated"))
    assert by_update[:2] == ["苏州市公交站点信息", "苏州市公交线路信息"]  # the later published first
    assert names(search_entries(s, ANONYMOUS, "公交线路", sort="relevance"))[0] == "苏州市公交线路信息"


def test_a9_2_paging(catalog: Catalog) -> None:
    page5 = search_entries(catalog.session, ANONYMOUS, None, page=5, per_page=10)
    assert (page5.total, len(page5.items), page5.pages) == (49, 9, 5)
    assert names(page5) == [d.name for d in reversed(DOCS)][40:]
    assert search_entries(catalog.session, ANONYMOUS, None, page=9, per_page=10).items == []


def test_a9_2_highlights_mark_the_query_words_in_escaped_text(catalog: Catalog) -> None:
    result = search_entries(catalog.session, ANONYMOUS, "空气质量")
    title, summary = result.highlights[catalog.ids["苏州市空气质量实时监测数据"]]
    assert str(title) == "苏州市<mark>空气质量</mark>实时监测数据"
    assert "<mark>空气质量</mark>指数AQI" in str(summary)
    rain = search_entries(catalog.session, ANONYMOUS, "降水量")
    _t, summary = rain.highlights[catalog.ids["苏州市降水量观测数据"]]
    assert "逐小时<mark>降水量</mark>观测值（单位mm，&lt;0.1 记为微量）" in str(summary)


def test_mark_escapes_before_marking() -> None:
    assert str(mark("<b>公交</b> & 公交线路", ["公交线路", "公交"])) == (
        "&lt;b&gt;<mark>公交</mark>&lt;/b&gt; &amp; <mark>公交线路</mark>")
    assert str(mark("PM2.5 pm2.5", ["pm2.5"])) == "<mark>PM2.5</mark> <mark>pm2.5</mark>"
    assert str(mark("a<b", [])) == "a&lt;b"
