"""A19.1 / A9.2: the row file (kaifang/datastore/engine/rowfile.py) is an accelerator, never a source: with it,
every page, token and total is what the Parquet file alone gives; an incomplete or foreign row file is not used;
a failed write leaves nothing behind."""

from __future__ import annotations

import shutil

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from kaifang.datastore.engine import Filter, Projection, parse_query, rowfile, run_records
from tests.datastore.engine.factories import SCHEMA, source_rows, write_companies

ALL = Projection()
QUERIES = [
    [],
    [("_sort", "-capital")],
    [("_sort", "district,-staff")],
    [("_sort", "listed,-founded,name")],
    [("_sort", "-updated_at"), ("district", "姑苏区")],
    [("name__contains", "科技"), ("_sort", "capital")],
    [("industry__in", "制造业,金融业"), ("founded__gte", "2000-01-01"), ("_sort", "-founded")],
    [("capital__isnull", "true"), ("_sort", "name")],
    [("_fields", "name,capital,updated_at"), ("_sort", "-capital")],
    [("staff__gt", "4990")],  # few rows: the whole result on one page
]
PROJECTIONS = {
    "all": ALL,
    "granted columns and rows": Projection(
        columns=("name", "district", "industry", "capital", "founded", "staff", "listed", "updated_at"),
        row_filters=(Filter("district", "in", ["昆山市", "常熟市"]),)),
}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same version twice: one file with its row file, one without."""
    folder = tmp_path_factory.mktemp("rowfile")
    plain = write_companies(folder / "plain.parquet", 20_000, row_group_size=3000)
    fast = folder / "fast.parquet"
    shutil.copyfile(plain, fast)
    rowfile.write(fast)
    return plain, fast


def pages(path, params, projection, size=777):
    """Every page of the query (rows, token, total) walked with the ``next`` token."""
    out, token = [], None
    while True:
        query = parse_query([*params, ("_limit", str(size))] + ([("_next", token)] if token else []),
                            SCHEMA, projection)
        page = run_records(path, SCHEMA, query, projection)
        out.append((page.rows, page.next_token, page.total, page.total_is_estimate, page.fields))
        token = page.next_token
        if token is None:
            return out


@pytest.mark.parametrize("projection", PROJECTIONS.values(), ids=PROJECTIONS.keys())
@pytest.mark.parametrize("params", QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p) or "plain")
def test_a19_1_pages_from_the_row_file_are_the_pages_from_parquet(pair, params, projection) -> None:
    plain, fast = pair
    assert rowfile.open_for(plain) is None and rowfile.open_for(fast) is not None
    expected, got = pages(plain, params, projection), pages(fast, params, projection)
    assert got == expected
    assert sum(len(rows) for rows, *_ in got) == (got[0][2] or 0)


def test_a19_1_the_row_file_holds_every_row_and_type_as_parquet_does(pair) -> None:
    plain, fast = pair
    rows = rowfile.open_for(fast)
    assert rows is not None and rows.num_rows == 20_000 and rows.columns == SCHEMA.names()
    wanted = [19_999, 0, 7, 13_131, 7]  # any order, repeats allowed
    columns = ", ".join([*SCHEMA.names(), "file_row_number"])
    source = {r["file_row_number"]: r
              for r in source_rows(plain, "WHERE file_row_number IN (0, 7, 13131, 19999)", columns=columns)}
    assert rows.fetch(wanted, SCHEMA.names()) == [tuple(source[n][c] for c in SCHEMA.names()) for n in wanted]
    with pytest.raises(IndexError):
        rows.fetch([20_000], ["name"])


def test_a19_1_a_row_file_of_another_size_is_not_used(pair, tmp_path) -> None:
    plain, _fast = pair
    other = write_companies(tmp_path / "other.parquet", 500)
    rowfile.write(other)
    target = tmp_path / "version.parquet"
    shutil.copyfile(plain, target)
    shutil.copyfile(rowfile.path_for(other), rowfile.path_for(target))  # a stale or foreign row file
    assert rowfile.open_for(target) is None
    query = parse_query([("_sort", "-capital"), ("_limit", "5")], SCHEMA, ALL)
    assert run_records(target, SCHEMA, query, ALL).rows == run_records(plain, SCHEMA, query, ALL).rows


def test_a19_1_a_row_file_without_row_numbers_is_not_used(pair, tmp_path) -> None:
    plain, _fast = pair
    target = tmp_path / "version.parquet"
    shutil.copyfile(plain, target)
    table = duckdb.connect().sql("SELECT * FROM read_parquet(?)", params=[str(target)]).to_arrow_table()
    with pa.OSFile(str(rowfile.path_for(target)), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)  # the same rows, but not numbered
    assert rowfile.open_for(target) is None


def test_a19_1_a_failed_write_leaves_nothing(tmp_path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not a Parquet file PAR1")
    with pytest.raises(Exception):  # noqa: B017 - DuckDB's own error type for an unreadable file
        rowfile.write(broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.parquet"]
    assert rowfile.open_for(broken) is None
