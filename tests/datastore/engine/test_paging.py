"""A19.1 / A22.1 keyset paging: walking a result page by page with the opaque ``next`` token yields every row
exactly once and in order, whatever the sort and page size; a token only works for the query it came from."""

from __future__ import annotations

import base64
import json
import random

import pytest

from kaifang.datastore.engine import Filter, Projection, QueryError, parse_query, run_records, token_at
from kaifang.datastore.engine import errors as msg
from tests.datastore.engine.factories import SCHEMA, source_rows, write_companies

ALL = Projection()
SORTS = ["", "-capital", "district,-staff", "listed,-founded,name", "-updated_at", "industry,capital,-listed",
         "legal_rep,-district"]


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    # Small row groups, so that pages cross many of them and the keyset bound has groups to skip.
    return write_companies(tmp_path_factory.mktemp("paging") / "big.parquet", 200_000, row_group_size=10_000)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_companies(tmp_path_factory.mktemp("paging") / "small.parquet", 5000, row_group_size=1000)


def order_sql(sort: str) -> str:
    keys = [f"{k.lstrip('-')} {'DESC' if k.startswith('-') else 'ASC'} NULLS LAST" for k in sort.split(",") if k]
    return ", ".join([*keys, "file_row_number"])


def walk(path, params, rng, *, low, high, projection=ALL):
    """Every page of the query, each with a random page size; returns names in order and the page count."""
    seen, token, pages = [], None, 0
    while True:
        size = str(rng.randint(low, high))
        query = parse_query([*params, ("_limit", size), ("_fields", "name")] + ([("_next", token)] if token else []),
                            SCHEMA, projection)
        page = run_records(path, SCHEMA, query, projection)
        pages += 1
        seen += [r["name"] for r in page.rows]
        token = page.next_token
        if token is None:
            return seen, pages
        assert len(page.rows) == int(size)


def test_a19_1_walking_the_whole_big_file_yields_every_row_once_in_order(big):
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    sort = rng.choice(SORTS[1:])
    seen, pages = walk(big, [("_sort", sort)], rng, low=700, high=1000)
    expected = [r["name"] for r in source_rows(big, f"ORDER BY {order_sql(sort)}", columns="name")]
    assert len(seen) == len(set(seen)) == 200_000, f"seed {seed}, sort {sort}"
    assert seen == expected, f"seed {seed}, sort {sort}"
    assert pages >= 200


def test_a19_1_walking_a_filtered_result_in_file_order(big):
    rng = random.Random(7)
    seen, _ = walk(big, [("district__in", "姑苏区,吴中区"), ("capital__gte", "2500")], rng, low=500, high=1000)
    expected = [r["name"] for r in source_rows(
        big, "WHERE district IN ('姑苏区', '吴中区') AND capital >= 2500 ORDER BY file_row_number", columns="name")]
    assert seen == expected and len(expected) > 10_000


@pytest.mark.parametrize("sort", SORTS)
def test_a22_1_tiny_pages_over_ties_and_nulls(small, sort):
    rng = random.Random(sort)
    params = [("_sort", sort), ("staff__lt", "1500")] if sort else [("staff__lt", "1500")]
    seen, _ = walk(small, params, rng, low=1, high=60)
    expected = [r["name"] for r in source_rows(small, f"WHERE staff < 1500 ORDER BY {order_sql(sort)}",
                                               columns="name")]
    assert seen == expected and len(seen) == len(set(seen))


def test_a19_1_walking_under_a_projection(small):
    grant = Projection(columns=("name", "capital", "district"), row_filters=(Filter("listed", "exact", False),))
    seen, _ = walk(small, [("_sort", "-capital")], random.Random(3), low=50, high=200, projection=grant)
    expected = [r["name"] for r in source_rows(small, f"WHERE listed = false ORDER BY {order_sql('-capital')}",
                                               columns="name")]
    assert seen == expected


def first_token(path, params, projection=ALL):
    page = run_records(path, SCHEMA, parse_query([*params, ("_limit", "10")], SCHEMA, projection), projection)
    assert page.next_token
    return page.next_token


@pytest.mark.parametrize("other", [
    [("_sort", "capital")],
    [("_sort", "-capital"), ("district", "姑苏区")],
    [("_sort", "-capital,name")],
    [("_sort", "-staff")],
])
def test_a19_1_a_token_is_refused_on_another_query(small, other):
    token = first_token(small, [("_sort", "-capital")])
    with pytest.raises(QueryError) as info:
        parse_query([*other, ("_next", token)], SCHEMA, ALL)
    assert info.value.msgid == msg.TOKEN_MISMATCH and info.value.field == "_next"
    assert info.value.message == "The paging token does not belong to this query."


def test_a19_1_a_token_is_refused_under_another_projection(small):
    token = first_token(small, [("_sort", "-capital")])
    narrower = Projection(row_filters=(Filter("district", "exact", "姑苏区"),))
    with pytest.raises(QueryError, match="does not belong"):
        parse_query([("_sort", "-capital"), ("_next", token)], SCHEMA, narrower)


def test_a19_1_page_size_and_fields_may_change_between_pages(small):
    token = first_token(small, [("_sort", "-capital")])
    query = parse_query([("_sort", "-capital"), ("_next", token), ("_limit", "3"), ("_fields", "capital")],
                        SCHEMA, ALL)
    page = run_records(small, SCHEMA, query, ALL)
    expected = source_rows(small, f"ORDER BY {order_sql('-capital')} LIMIT 3 OFFSET 10", columns="capital")
    assert page.rows == expected


def _forge(token: str, change) -> str:
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    change(payload)
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("change", [
    lambda p: p.update(k=["not a number"]),
    lambda p: p.update(k=[1.0, 2.0]),
    lambda p: p.update(r=-1),
    lambda p: p.update(r="5"),
    lambda p: p.pop("k"),
])
def test_a19_1_a_tampered_token_is_refused(small, change):
    token = first_token(small, [("_sort", "-capital")])
    with pytest.raises(QueryError) as info:
        parse_query([("_sort", "-capital"), ("_next", _forge(token, change))], SCHEMA, ALL)
    assert info.value.msgid == msg.TOKEN_INVALID


def test_a19_1_estimated_total_on_a_large_file_is_marked(big):
    params = [("district", "姑苏区"), ("_limit", "5")]
    exact = run_records(big, SCHEMA, parse_query(params, SCHEMA, ALL), ALL)
    estimate = run_records(big, SCHEMA, parse_query([*params, ("_total", "estimate")], SCHEMA, ALL), ALL,
                           estimate_above=100_000)
    assert exact.total_is_estimate is False and estimate.total_is_estimate is True
    assert abs(estimate.total - exact.total) < exact.total * 0.05
    assert estimate.rows == exact.rows and estimate.next_token == exact.next_token
    unfiltered = run_records(big, SCHEMA, parse_query([("_total", "estimate")], SCHEMA, ALL), ALL,
                             estimate_above=100_000)
    assert (unfiltered.total, unfiltered.total_is_estimate) == (200_000, False)


@pytest.mark.parametrize("sort", ["-capital", "", "district,-founded"])
def test_a19_1_token_at_jumps_to_a_deep_page(big, sort):
    params = [("_sort", sort), ("capital__gte", "1000")] if sort else [("capital__gte", "1000")]
    query = parse_query([*params, ("_limit", "25"), ("_fields", "name")], SCHEMA, ALL)
    token = token_at(big, SCHEMA, query, ALL, 123_456)
    page = run_records(big, SCHEMA, parse_query([*params, ("_limit", "25"), ("_fields", "name"), ("_next", token)],
                                                SCHEMA, ALL), ALL)
    expected = source_rows(big, f"WHERE capital >= 1000 ORDER BY {order_sql(sort)} LIMIT 25 OFFSET 123456",
                           columns="name")
    assert page.rows == expected
    assert token_at(big, SCHEMA, query, ALL, 0) is None and token_at(big, SCHEMA, query, ALL, 10**7) is None
