"""A19.1 / A22.1: the data API's query string is checked against the visible schema; every refusal is a
``QueryError`` (the API's 400) naming the parameter, the column or the value at fault."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kaifang.datastore.engine import Filter, Projection, QueryError, parse_query
from kaifang.datastore.engine import errors as msg
from kaifang.datastore.schema import FieldSpec, FieldType, TableSchema
from tests.datastore.engine.factories import SCHEMA

ALL = Projection()


def refused(params: list[tuple[str, str]], projection: Projection = ALL, schema: TableSchema = SCHEMA,
            **kwargs) -> QueryError:
    with pytest.raises(QueryError) as info:
        parse_query(params, schema, projection, **kwargs)
    return info.value


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("district", "姑苏区", Filter("district", "exact", "姑苏区")),
    ("district__exact", "姑苏区", Filter("district", "exact", "姑苏区")),
    ("district__ne", "姑苏区", Filter("district", "ne", "姑苏区")),
    ("district__in", "姑苏区,昆山市", Filter("district", "in", ("姑苏区", "昆山市"))),
    ("name__contains", "科技", Filter("name", "contains", "科技")),
    ("name__startswith", "苏州", Filter("name", "startswith", "苏州")),
    ("name__gte", "苏", Filter("name", "gte", "苏")),
    ("staff__gt", "100", Filter("staff", "gt", 100)),
    ("staff__lte", "-5", Filter("staff", "lte", -5)),
    ("staff__in", "1, 2,3", Filter("staff", "in", (1, 2, 3))),
    ("capital__lt", "1000.5", Filter("capital", "lt", 1000.5)),
    ("capital", "100", Filter("capital", "exact", 100.0)),
    ("founded__gte", "2010-01-01", Filter("founded", "gte", date(2010, 1, 1))),
    ("founded__in", "2010-01-01,2011-02-03", Filter("founded", "in", (date(2010, 1, 1), date(2011, 2, 3)))),
    ("listed", "true", Filter("listed", "exact", True)),
    ("listed", "0", Filter("listed", "exact", False)),
    ("listed__ne", "FALSE", Filter("listed", "ne", False)),
    ("updated_at__gte", "2024-06-01T08:30:00", Filter("updated_at", "gte", datetime(2024, 6, 1, 8, 30))),
    ("updated_at__lt", "2024-06-01 08:30", Filter("updated_at", "lt", datetime(2024, 6, 1, 8, 30))),
    ("updated_at__lt", "2024-06-01", Filter("updated_at", "lt", datetime(2024, 6, 1))),
    # A zone is converted to Suzhou's wall-clock time, in which the stored timestamps are kept.
    ("updated_at__gt", "2024-06-01T00:00:00Z", Filter("updated_at", "gt", datetime(2024, 6, 1, 8, 0))),
    ("updated_at__gt", "2024-06-01T10:00:00+10:00", Filter("updated_at", "gt", datetime(2024, 6, 1, 8, 0))),
    ("capital__isnull", "true", Filter("capital", "isnull", True)),
    ("founded__isnull", "0", Filter("founded", "isnull", False)),
])
def test_a19_1_filters_are_typed(key, value, expected):
    query = parse_query([(key, value)], SCHEMA, ALL)
    assert query.filters == (expected,)


@pytest.mark.parametrize(("key", "value", "column", "type_name"), [
    ("capital__gt", "abc", "capital", "number"),
    ("capital", "nan", "capital", "number"),
    ("capital", "inf", "capital", "number"),
    ("staff", "1.5", "staff", "whole number"),
    ("staff__gt", "99999999999999999999", "staff", "whole number"),
    ("staff__in", "1,x", "staff", "whole number"),
    ("founded", "2020-13-01", "founded", "date (YYYY-MM-DD)"),
    ("founded", "20200101", "founded", "date (YYYY-MM-DD)"),
    ("listed", "yes", "listed", "true/false value"),
    ("updated_at__gte", "yesterday", "updated_at", "date and time (ISO 8601)"),
    ("updated_at__gte", "2024-02-30T00:00:00", "updated_at", "date and time (ISO 8601)"),
])
def test_a19_1_a_value_that_does_not_fit_the_type_is_refused_naming_it(key, value, column, type_name):
    err = refused([(key, value)])
    assert err.msgid == msg.BAD_VALUE
    assert err.field == key
    assert err.params["column"] == column
    assert err.params["type"] == type_name
    bad = "x" if value == "1,x" else value
    assert err.english() == f"'{bad}' is not a valid {type_name} for {column}"


def test_a19_1_isnull_takes_true_or_false():
    err = refused([("capital__isnull", "maybe")])
    assert err.msgid == msg.BAD_VALUE and err.params["column"] == "capital__isnull"


@pytest.mark.parametrize(("key", "op", "column"), [
    ("capital__contains", "contains", "capital"),
    ("founded__startswith", "startswith", "founded"),
    ("listed__gt", "gt", "listed"),
    ("staff__between", "between", "staff"),
])
def test_a19_1_an_operator_the_type_does_not_have_is_refused_listing_the_valid_ones(key, op, column):
    err = refused([(key, "1")])
    assert err.msgid == msg.UNKNOWN_OPERATOR
    assert err.field == key
    assert err.params["op"] == op and err.params["column"] == column
    assert "contains" not in err.params["ops"] and "exact" in err.params["ops"]


@pytest.mark.parametrize("params", [
    [("nope", "1")], [("nope__gt", "1")], [("_sort", "-nope")], [("_fields", "name,nope")],
    [("_group_by", "nope")], [("_agg", "sum:nope")],
])
def test_a19_1_an_unknown_column_is_refused_naming_it(params):
    err = refused(params)
    assert err.msgid == msg.UNKNOWN_COLUMN
    assert err.params == {"column": "nope"}
    assert err.english() == "Unknown column: nope"


def test_a19_1_reserved_parameters():
    query = parse_query([("_sort", "-capital,name"), ("_fields", "name,capital"), ("_limit", "7"),
                         ("_total", "none")], SCHEMA, ALL)
    assert [(k.field, k.descending) for k in query.sort] == [("capital", True), ("name", False)]
    assert query.fields == ("name", "capital") and query.limit == 7 and query.total == "none"
    bare = parse_query([("sort", "-capital,name"), ("fields", "name,capital"), ("limit", "7"), ("total", "none")],
                       SCHEMA, ALL)
    assert bare == query
    assert parse_query([], SCHEMA, ALL).fields == tuple(SCHEMA.names())


def test_a19_1_a_column_named_like_a_bare_parameter_stays_a_column():
    schema = TableSchema((FieldSpec("limit", "限额", FieldType.INTEGER), FieldSpec("name", "名称")))
    query = parse_query([("limit", "5"), ("_limit", "2")], schema, ALL)
    assert query.filters == (Filter("limit", "exact", 5),) and query.limit == 2


def test_a19_1_limit_is_capped_by_configuration():
    assert parse_query([("_limit", "5000")], SCHEMA, ALL, max_limit=1000).limit == 1000
    assert parse_query([], SCHEMA, ALL, default_limit=25).limit == 25
    assert parse_query([("_limit", "0")], SCHEMA, ALL).limit == 0
    for bad in ("abc", "-1", "1.5", "١٢"):
        err = refused([("_limit", bad)])
        assert err.msgid == msg.BAD_LIMIT and err.field == "_limit" and err.params["value"] == bad


@pytest.mark.parametrize(("params", "msgid", "field"), [
    ([("_total", "maybe")], msg.BAD_CHOICE, "_total"),
    ([("_limit", "1"), ("limit", "2")], msg.REPEATED_PARAMETER, "_limit"),
    ([("_sort", "capital,-capital")], msg.REPEATED_COLUMN, "_sort"),
    ([("_fields", "name,name")], msg.REPEATED_COLUMN, "_fields"),
    ([("_foo", "1")], msg.UNKNOWN_PARAMETER, "_foo"),
    ([("_agg", "median:capital")], msg.UNKNOWN_AGGREGATE, "_agg"),
    ([("_agg", "sum")], msg.UNKNOWN_AGGREGATE, "_agg"),
    ([("_agg", "count:capital")], msg.UNKNOWN_AGGREGATE, "_agg"),
    ([("_agg", "sum:name")], msg.AGGREGATE_NEEDS_NUMBER, "_agg"),
    ([("_agg", "avg:founded")], msg.AGGREGATE_NEEDS_NUMBER, "_agg"),
    ([("_group_by", "district"), ("_sort", "name")], msg.AGGREGATE_SORT, "_sort"),
    ([("_group_by", "district"), ("_next", "abc")], msg.NO_PAGING_FOR_GROUPS, "_next"),
    ([("_next", "not a token")], msg.TOKEN_INVALID, "_next"),
])
def test_a19_1_bad_reserved_parameters(params, msgid, field):
    err = refused(params)
    assert (err.msgid, err.field) == (msgid, field)
    assert err.to_dict()["error"] == err.english()


def test_a22_1_aggregates_parse():
    query = parse_query([("_group_by", "district,industry"), ("_agg", "count"), ("_agg", "sum:capital"),
                         ("_agg", "min:founded"), ("_sort", "-sum_capital")], SCHEMA, ALL)
    assert query.is_aggregate and query.group_by == ("district", "industry")
    assert [a.alias for a in query.aggregates] == ["count", "sum_capital", "min_founded"]
    assert [(k.field, k.descending) for k in query.sort] == [("sum_capital", True)]
    assert [a.alias for a in parse_query([("_group_by", "district")], SCHEMA, ALL).aggregates] == ["count"]


HIDDEN = Projection(columns=tuple(n for n in SCHEMA.names() if n != "legal_rep"))
WITHOUT = TableSchema(tuple(f for f in SCHEMA.fields if f.name != "legal_rep"))


@pytest.mark.parametrize("params", [
    [("legal_rep", "王伟")], [("legal_rep__contains", "王")], [("legal_rep__bogus", "1")], [("legal_rep__in", "a,b")],
    [("_sort", "legal_rep")], [("_sort", "-legal_rep")], [("_fields", "name,legal_rep")],
    [("_group_by", "legal_rep")], [("_agg", "min:legal_rep")], [("_group_by", "district"), ("_sort", "legal_rep")],
])
def test_a19_1_a_hidden_column_is_refused_exactly_like_a_missing_one(params):
    hidden = refused(params, HIDDEN)
    missing = refused(params, ALL, WITHOUT)
    assert hidden.msgid == missing.msgid == msg.UNKNOWN_COLUMN
    assert (hidden.field, hidden.params, hidden.message) == (missing.field, missing.params, missing.message)


def test_a19_1_a_hidden_column_named_like_a_bare_parameter_does_not_change_its_meaning():
    schema = TableSchema((FieldSpec("limit", "限额", FieldType.INTEGER), FieldSpec("name", "名称")))
    query = parse_query([("limit", "5")], schema, Projection(columns=("name",)))
    assert query.limit == 5 and query.filters == ()
