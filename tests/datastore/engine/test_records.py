"""A19.1 records and A9.2 preview on a real 5,000-row Parquet file: every operator and type gives the rows a
plain Python filter over the file gives; the reader's projection comes first and hides what it hides."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kaifang.datastore.engine import (
    Filter,
    Projection,
    ProjectionError,
    QueryError,
    build_query,
    parse_query,
    preview,
    run_records,
)
from tests.datastore.engine.factories import SCHEMA, TRICKY_NAME, source_rows, write_companies

ALL = Projection()


@pytest.fixture(scope="module")
def companies(tmp_path_factory):
    return write_companies(tmp_path_factory.mktemp("engine") / "companies.parquet", 5000, row_group_size=1000)


@pytest.fixture(scope="module")
def rows(companies):
    return source_rows(companies)


def names(params, path, projection=ALL, **kwargs):
    query = parse_query([*params, ("_limit", "5000"), ("_fields", "name")], SCHEMA, projection, max_limit=5000)
    page = run_records(path, SCHEMA, query, projection, **kwargs)
    assert page.total == len(page.rows) or page.next_token is not None
    return {r["name"] for r in page.rows}, page


def at(value):
    return lambda v: v is not None and v == value


CASES = [
    ("district", "姑苏区", at("姑苏区")),
    ("district__ne", "姑苏区", lambda v: v is not None and v != "姑苏区"),
    ("district__in", "姑苏区,昆山市", lambda v: v in ("姑苏区", "昆山市")),
    ("district__isnull", "true", lambda v: v is None),
    ("district__isnull", "false", lambda v: v is not None),
    ("district__gt", "常熟市", lambda v: v is not None and v > "常熟市"),
    ("name__contains", "科技", lambda v: "科技" in v),
    ("name__contains", "A&B <测试>", lambda v: "A&B <测试>" in v),
    ("name__contains", "%", lambda v: "%" in v),  # wildcards are plain characters
    ("name__contains", "_", lambda v: "_" in v),
    ("name__startswith", "苏州", lambda v: v.startswith("苏州")),
    ("name__startswith", "苏州%", lambda v: v.startswith("苏州%")),
    ("capital__gt", "9000", lambda v: v is not None and v > 9000),
    ("capital__gte", "9000.5", lambda v: v is not None and v >= 9000.5),
    ("capital__lt", "100", lambda v: v is not None and v < 100),
    ("capital__lte", "100", lambda v: v is not None and v <= 100),
    ("capital__isnull", "1", lambda v: v is None),
    ("staff", "948", at(948)),
    ("staff__ne", "948", lambda v: v is not None and v != 948),
    ("staff__in", "948,4453,214", lambda v: v in (948, 4453, 214)),
    ("staff__gte", "4990", lambda v: v is not None and v >= 4990),
    ("founded__gte", "2020-01-01", lambda v: v is not None and v >= date(2020, 1, 1)),
    ("founded__lt", "1991-01-01", lambda v: v is not None and v < date(1991, 1, 1)),
    ("founded", "2013-10-11", at(date(2013, 10, 11))),
    ("founded__isnull", "true", lambda v: v is None),
    ("listed", "true", at(True)),
    ("listed", "0", at(False)),
    ("listed__ne", "true", lambda v: v is False),
    ("listed__in", "true,false", lambda v: v is not None),
    ("listed__isnull", "true", lambda v: v is None),
    ("updated_at__gte", "2024-12-01T00:00:00", lambda v: v >= datetime(2024, 12, 1)),
    ("updated_at__lt", "2024-01-15 12:00", lambda v: v < datetime(2024, 1, 15, 12)),
    ("updated_at__lt", "2024-01-15T04:00:00Z", lambda v: v < datetime(2024, 1, 15, 12)),
]


@pytest.mark.parametrize(("key", "value", "predicate"), CASES, ids=[f"{k}={v}" for k, v, _ in CASES])
def test_a19_1_every_operator_and_type_matches_the_file(companies, rows, key, value, predicate):
    column = key.split("__")[0]
    expected = {r["name"] for r in rows if predicate(r[column])}
    found, page = names([(key, value)], companies)
    assert found == expected
    assert page.total == len(expected) and page.total_is_estimate is False


def test_a19_1_filters_combine_with_and_and_some_cases_match(companies, rows):
    expected = {r["name"] for r in rows if r["district"] == "姑苏区" and (r["capital"] or 0) > 5000
                and r["founded"] is not None and r["founded"] >= date(2000, 1, 1)}
    found, _ = names([("district", "姑苏区"), ("capital__gt", "5000"), ("founded__gte", "2000-01-01")], companies)
    assert found == expected and len(expected) > 50
    assert names([("name__contains", "%")], companies)[0] == set()


def test_a19_1_rows_are_json_friendly_and_follow_field_selection(companies, rows):
    query = parse_query([("_fields", "founded,name,capital,updated_at,listed,staff"), ("_limit", "3")], SCHEMA, ALL)
    page = run_records(companies, SCHEMA, query, ALL)
    assert page.fields == ["founded", "name", "capital", "updated_at", "listed", "staff"]
    assert list(page.rows[0]) == page.fields
    for got, src in zip(page.rows, rows, strict=False):
        assert got["name"] == src["name"]
        assert got["founded"] == (src["founded"].isoformat() if src["founded"] else None)
        assert got["updated_at"] == src["updated_at"].isoformat()
        assert got["capital"] == src["capital"] and got["staff"] == src["staff"] and got["listed"] == src["listed"]
    micro = next(r for r in page.rows if "." in r["updated_at"])
    assert datetime.fromisoformat(micro["updated_at"]).microsecond == 123456


def test_a19_1_sort_orders_rows_with_nulls_last(companies, rows):
    query = parse_query([("_sort", "-capital,name"), ("_limit", "1000"), ("_fields", "name,capital"),
                         ("district", "吴中区")], SCHEMA, ALL)
    page = run_records(companies, SCHEMA, query, ALL)
    chosen = [r for r in rows if r["district"] == "吴中区"]
    expected = sorted(chosen, key=lambda r: (r["capital"] is None, -(r["capital"] or 0), r["name"]))
    assert [r["name"] for r in page.rows] == [r["name"] for r in expected]
    assert page.rows[-1]["capital"] is None


def test_a19_1_totals(companies, rows, monkeypatch):
    q = lambda *p: parse_query([*p, ("_limit", "10")], SCHEMA, ALL)  # noqa: E731
    unfiltered = run_records(companies, SCHEMA, q(), ALL)
    assert (unfiltered.total, unfiltered.total_is_estimate) == (5000, False) and len(unfiltered.rows) == 10
    assert unfiltered.next_token
    assert run_records(companies, SCHEMA, q(("_total", "none")), ALL).total is None
    gusu = sum(r["district"] == "姑苏区" for r in rows)
    assert run_records(companies, SCHEMA, q(("district", "姑苏区")), ALL).total == gusu
    count_only = run_records(companies, SCHEMA, parse_query([("district", "姑苏区"), ("_limit", "0")], SCHEMA, ALL),
                             ALL)
    assert (count_only.rows, count_only.total, count_only.next_token) == ([], gusu, None)
    # A small file is counted exactly even when an estimate is asked for.
    small = run_records(companies, SCHEMA, q(("district", "姑苏区"), ("_total", "estimate")), ALL)
    assert (small.total, small.total_is_estimate) == (gusu, False)


def test_a9_2_preview_first_rows_with_sort_and_filter(companies, rows):
    first = preview(companies, SCHEMA, ALL)
    assert [r["name"] for r in first.rows] == [r["name"] for r in rows[:20]] and first.total == 5000
    top = preview(companies, SCHEMA, ALL, n=5, sort="-staff", filters=[Filter("district", "exact", "昆山市")])
    kunshan = sorted((r for r in rows if r["district"] == "昆山市"),
                     key=lambda r: (r["staff"] is None, -(r["staff"] or 0)))
    assert [r["staff"] for r in top.rows] == [r["staff"] for r in kunshan[:5]]
    with pytest.raises(QueryError):
        preview(companies, SCHEMA, ALL, filters=[Filter("staff", "gt", "many")])


GRANT = Projection(columns=("name", "district", "capital", "founded"),
                   row_filters=(Filter("district", "in", ("姑苏区", "吴中区")), Filter("capital", "gte", 1000)))


def test_a19_1_projection_rows_and_columns_come_before_the_readers_query(companies, rows):
    granted = [r for r in rows if r["district"] in ("姑苏区", "吴中区") and r["capital"] is not None
               and r["capital"] >= 1000]
    page = run_records(companies, SCHEMA, parse_query([("_limit", "1000")], SCHEMA, GRANT), GRANT)
    assert page.fields == ["name", "district", "capital", "founded"]
    assert all(set(r) == set(page.fields) for r in page.rows)
    assert page.total == len(granted) and [r["name"] for r in page.rows] == [r["name"] for r in granted[:1000]]
    # The reader's own filter narrows further and can never widen: asking for 昆山市 finds nothing.
    assert names([("district", "昆山市")], companies, GRANT)[0] == set()
    found, page = names([("district", "姑苏区"), ("capital__lt", "2000")], companies, GRANT)
    assert found == {r["name"] for r in granted if r["district"] == "姑苏区" and r["capital"] < 2000}
    assert preview(companies, SCHEMA, GRANT, n=5).rows == page_rows(companies, GRANT, 5)


def page_rows(path, projection, n):
    return run_records(path, SCHEMA, build_query(SCHEMA, projection, limit=n), projection).rows


def test_a19_1_a_row_filter_may_use_a_hidden_column_without_showing_it(companies, rows):
    grant = Projection(columns=("name", "capital"), row_filters=(Filter("listed", "exact", True),))
    found, page = names([], companies, grant)
    assert found == {r["name"] for r in rows if r["listed"] is True}
    assert page.fields == ["name"]
    with pytest.raises(QueryError, match="Unknown column: listed"):
        parse_query([("listed", "false")], SCHEMA, grant)


def test_a19_1_a_projection_that_does_not_fit_the_version_fails_closed(companies):
    broken = Projection(row_filters=(Filter("gone", "exact", "x"),))
    with pytest.raises(ProjectionError):
        run_records(companies, SCHEMA, build_query(SCHEMA, ALL), broken)
    with pytest.raises(ProjectionError):
        run_records(companies, SCHEMA, build_query(SCHEMA, ALL), Projection(row_filters=(Filter("staff", "gt", "x"),)))
    with pytest.raises(ProjectionError):
        Projection(columns=("gone",)).visible_fields(SCHEMA)
    # Granted columns that a new version dropped are simply not shown.
    assert [f.name for f in Projection(columns=("name", "gone")).visible_fields(SCHEMA)] == ["name"]


def test_tricky_names_come_back_unchanged(companies):
    found, _ = names([("name__startswith", TRICKY_NAME)], companies)
    assert len(found) == 5 and all(n.startswith(TRICKY_NAME) for n in found)
