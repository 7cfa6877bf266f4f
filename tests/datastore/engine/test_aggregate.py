"""A22.1 grouped aggregates and facets, and A19.1 time limits, on a real Parquet file; aggregates equal the
same SQL run straight on the file."""

from __future__ import annotations

import time

import duckdb
import pytest

from kaifang.datastore.engine import (
    Filter,
    Projection,
    QueryError,
    QueryTimeout,
    parse_query,
    run_aggregate,
    run_records,
)
from kaifang.datastore.engine.connection import connect, run_with_timeout
from tests.datastore.engine.factories import SCHEMA, write_companies

ALL = Projection()


@pytest.fixture(scope="module")
def companies(tmp_path_factory):
    return write_companies(tmp_path_factory.mktemp("agg") / "companies.parquet", 5000, row_group_size=1000)


def direct(path, sql, params=()):
    con = duckdb.connect()
    try:
        return con.execute(sql.replace("FILE", "read_parquet(?)"), [str(path), *params]).fetchall()
    finally:
        con.close()


def test_a22_1_grouped_count_sum_avg_min_max_equal_direct_sql(companies):
    query = parse_query([("_group_by", "district,listed"), ("_agg", "count"), ("_agg", "sum:capital"),
                         ("_agg", "avg:capital"), ("_agg", "min:founded"), ("_agg", "max:founded"),
                         ("_agg", "sum:staff"), ("_agg", "max:updated_at"), ("_limit", "1000")], SCHEMA, ALL)
    result = run_aggregate(companies, SCHEMA, query, ALL)
    expected = direct(companies, """
        SELECT district, listed, COUNT(*), SUM(capital), AVG(capital), MIN(founded), MAX(founded), SUM(staff),
               MAX(updated_at)
        FROM FILE GROUP BY district, listed ORDER BY 3 DESC, district NULLS LAST, listed NULLS LAST""")
    assert result.fields == ["district", "listed", "count", "sum_capital", "avg_capital", "min_founded",
                             "max_founded", "sum_staff", "max_updated_at"]
    assert len(result.groups) == len(expected) and not result.truncated
    for got, row in zip(result.groups, expected, strict=True):
        assert (got["district"], got["listed"], got["count"]) == row[:3]
        assert got["sum_capital"] == pytest.approx(row[3]) and got["avg_capital"] == pytest.approx(row[4])
        assert got["min_founded"] == row[5].isoformat() and got["max_founded"] == row[6].isoformat()
        assert got["sum_staff"] == row[7] and got["max_updated_at"] == row[8].isoformat()


def test_a22_1_facet_counts_by_district_sorted_by_count_and_capped(companies):
    facet = run_aggregate(companies, SCHEMA, parse_query([("_group_by", "district")], SCHEMA, ALL), ALL)
    expected = direct(companies, "SELECT district, COUNT(*) c FROM FILE GROUP BY district "
                                 "ORDER BY c DESC, district NULLS LAST")
    assert [(g["district"], g["count"]) for g in facet.groups] == expected
    capped = run_aggregate(companies, SCHEMA, parse_query([("_group_by", "district"), ("_limit", "3")], SCHEMA, ALL),
                           ALL)
    assert [(g["district"], g["count"]) for g in capped.groups] == expected[:3] and capped.truncated


def test_a22_1_aggregates_respect_filters_sort_and_no_grouping(companies):
    query = parse_query([("_group_by", "industry"), ("_agg", "avg:capital"), ("_sort", "-avg_capital"),
                         ("founded__gte", "2000-01-01")], SCHEMA, ALL)
    result = run_aggregate(companies, SCHEMA, query, ALL)
    expected = direct(companies, "SELECT industry, AVG(capital) a FROM FILE WHERE founded >= ? GROUP BY industry "
                                 "ORDER BY a DESC NULLS LAST, industry NULLS LAST", ["2000-01-01"])
    assert [g["industry"] for g in result.groups] == [r[0] for r in expected]
    assert [g["avg_capital"] for g in result.groups] == pytest.approx([r[1] for r in expected])
    whole = run_aggregate(companies, SCHEMA, parse_query([("_agg", "count"), ("_agg", "max:capital")], SCHEMA, ALL),
                          ALL)
    assert whole.groups == [dict(zip(["count", "max_capital"], direct(companies, "SELECT COUNT(*), MAX(capital) "
                                                                                 "FROM FILE")[0], strict=True))]


def test_a22_1_aggregates_see_only_the_projection(companies):
    grant = Projection(columns=("name", "district", "capital"), row_filters=(Filter("district", "exact", "姑苏区"),))
    result = run_aggregate(companies, SCHEMA, parse_query([("_group_by", "district"), ("_agg", "sum:capital")],
                                                          SCHEMA, grant), grant)
    expected = direct(companies, "SELECT COUNT(*), SUM(capital) FROM FILE WHERE district = '姑苏区'")[0]
    assert [(g["district"], g["count"]) for g in result.groups] == [("姑苏区", expected[0])]
    assert result.groups[0]["sum_capital"] == pytest.approx(expected[1])
    for params in ([("_group_by", "industry")], [("_agg", "avg:staff")], [("_group_by", "district"),
                                                                          ("_agg", "max:founded")]):
        with pytest.raises(QueryError, match="Unknown column"):
            parse_query(params, SCHEMA, grant)


def test_a22_1_a_grouped_query_is_not_a_records_query(companies):
    with pytest.raises(ValueError, match="run_aggregate"):
        run_records(companies, SCHEMA, parse_query([("_group_by", "district")], SCHEMA, ALL), ALL)


def test_a19_1_a_slow_query_is_interrupted_at_its_time_limit():
    con = connect()
    slow = "SELECT COUNT(*) FROM range(100000000) a, range(100000) b WHERE a.range + b.range = 7"
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as info:
        run_with_timeout(con, lambda c: c.execute(slow).fetchall(), 0.2)
    assert time.monotonic() - started < 3  # the query itself would run for hours
    assert info.value.english() == "The query took longer than 0.2 seconds. Add filters or ask for fewer rows."
    assert isinstance(info.value, QueryError)
    # The process's database is still fine for the next request.
    other = connect()
    assert run_with_timeout(other, lambda c: c.execute("SELECT 42").fetchall(), 5) == [(42,)]


def test_a19_1_records_and_aggregates_obey_the_time_limit(companies):
    query = parse_query([("name__contains", "科技"), ("_sort", "-capital")], SCHEMA, ALL)
    with pytest.raises(QueryTimeout):
        run_records(companies, SCHEMA, query, ALL, timeout_s=0.0001)
    with pytest.raises(QueryTimeout):
        run_aggregate(companies, SCHEMA, parse_query([("_group_by", "name")], SCHEMA, ALL), ALL, timeout_s=0.0001)
    assert run_records(companies, SCHEMA, query, ALL, timeout_s=10).rows


def test_a19_1_errors_inside_the_worker_reach_the_caller():
    with pytest.raises(duckdb.Error):
        run_with_timeout(connect(), lambda c: c.execute("SELECT * FROM no_such_table").fetchall(), 5)
