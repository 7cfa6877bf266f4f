"""A9.2: the search index (and its facet values) follows the publishing process: entries enter it on
publication, follow their updates, and leave it on withdrawal; the index objects of migrations 0003 and 0004
cause no drift in ``alembic check``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kaifang import migrate
from kaifang.catalog import (
    EntryDetailsInput,
    change_open_class,
    publish_entry,
    record_review,
    republish_entry,
    search_entries,
    update_entry_details,
    withdraw_entry,
)
from kaifang.catalog.search import reindex_all
from kaifang.catalog.search_schema import include_name
from kaifang.config import Settings
from kaifang.security import ANONYMOUS
from tests.catalog import factories as f
from tests.catalog.factories import Cast


def found(session: Session, q: str) -> list[str]:
    return [c.name for c in search_entries(session, ANONYMOUS, q).items]


def test_a9_2_index_follows_publish_update_withdraw(session: Session, cast: Cast) -> None:
    entry = f.submitted(session, cast, name="苏州市无偿献血点信息", summary="固定献血屋的地点。")
    assert found(session, "献血") == []  # not published yet
    record_review(session, cast.cdo, entry.id, "privacy", "approve", "")
    record_review(session, cast.cdo, entry.id, "legality", "approve", "")
    publish_entry(session, cast.cdo, entry.id)
    assert found(session, "献血") == ["苏州市无偿献血点信息"]
    assert found(session, "采血车") == []
    update_entry_details(session, cast.staff, entry.id, EntryDetailsInput(summary="固定献血屋和流动采血车的地点。"))
    assert found(session, "采血车") == ["苏州市无偿献血点信息"]
    withdraw_entry(session, cast.cdo, entry.id, "数据核查")
    assert found(session, "献血") == [] and search_entries(session, ANONYMOUS, None).total == 0
    republish_entry(session, cast.cdo, entry.id)
    assert found(session, "献血") == ["苏州市无偿献血点信息"]
    assert reindex_all(session) == 1
    assert found(session, "献血") == ["苏州市无偿献血点信息"]


def tag_and_format_facets(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    facets = search_entries(session, ANONYMOUS, None).facets
    return {v: n for v, _l, n in facets["tags"]}, {v: n for v, _l, n in facets["format"]}


def test_a9_2_a7_2_tag_and_format_facets_follow_updates_and_the_open_class(session: Session, cast: Cast) -> None:
    """The facet values each indexed entry carries (on PostgreSQL, arrays on the entry row) follow its details
    and its class: a not-open entry's restricted fields never count (A7.2)."""
    entry = f.published(session, cast, tags=["公交", "出行"], formats=["csv", "json"])
    assert tag_and_format_facets(session) == ({"公交": 1, "出行": 1}, {"csv": 1, "json": 1})
    update_entry_details(session, cast.staff, entry.id, EntryDetailsInput(summary=entry.summary, tags=["地铁"]))
    assert tag_and_format_facets(session) == ({"地铁": 1}, {"csv": 1, "json": 1})
    change_open_class(session, cast.cdo, entry.id, "not_open", "含个人信息，经评估不予开放")
    assert tag_and_format_facets(session) == ({}, {})
    assert search_entries(session, ANONYMOUS, "地铁").total == 0  # nor match
    change_open_class(session, cast.cdo, entry.id, "unconditional", "已完成脱敏处理")
    assert tag_and_format_facets(session) == ({"地铁": 1}, {"csv": 1, "json": 1})
    withdraw_entry(session, cast.cdo, entry.id, "数据核查")
    assert tag_and_format_facets(session) == ({}, {})


def test_a9_2_search_objects_cause_no_migration_drift(settings: Settings, engine) -> None:
    migrate.check(settings.database_url)


def test_a9_2_the_drift_filter_looks_away_from_the_search_objects_only() -> None:
    for name in ("catalog_search", "catalog_search_data", "catalog_search_idx", "catalog_search_config"):
        assert not include_name(name, "table", {"schema_name": None})
    assert include_name("catalog_entry", "table", {"schema_name": None})
    for name in ("search_vector", "search_tags", "search_formats"):
        assert not include_name(name, "column", {"table_name": "catalog_entry"})
    assert include_name("search_vector", "column", {"table_name": "other"})
    assert include_name("name", "column", {"table_name": "catalog_entry"})
    assert not include_name("ix_catalog_entry_search_vector", "index", {"table_name": "catalog_entry"})
    assert include_name("ix_catalog_entry_status", "index", {"table_name": "catalog_entry"})
