"""A16.2 downloads: every format read back equals the source rows (under the reader's projection), CSV with and
without a BOM, XLSX past a sheet's row limit, cached exports reused and invalidated, Chinese file names."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote

import duckdb
import openpyxl
import pytest
from defusedxml import ElementTree

from kaifang.datastore.engine import (
    FORMATS,
    Filter,
    Projection,
    cached_export,
    content_disposition,
    export_file,
    iter_file,
    markup,
)
from kaifang.datastore.engine import export as export_module
from kaifang.datastore.schema import FieldType
from tests.datastore.engine.factories import SCHEMA, TRICKY_NAME, source_rows, write_companies

ALL = Projection()
GRANT = Projection(columns=("name", "district", "capital", "founded", "updated_at", "listed"),
                   row_filters=(Filter("district", "in", ("姑苏区", "昆山市")),))
TYPES = {f.name: f.type for f in SCHEMA.fields}


@pytest.fixture(scope="module")
def companies(tmp_path_factory):
    return write_companies(tmp_path_factory.mktemp("export") / "companies.parquet", 5000, row_group_size=1000)


def expected_rows(path, projection):
    fields = [f.name for f in projection.visible_fields(SCHEMA)]
    where = "WHERE district IN ('姑苏区', '昆山市')" if projection.row_filters else ""
    return fields, source_rows(path, f"{where} ORDER BY file_row_number", columns=", ".join(fields))


def from_text(name, text):
    """A value written as text (CSV, XML, JSON strings) back to the Python value DuckDB gives."""
    if text is None or text == "":
        return None
    kind = TYPES[name]
    return {FieldType.INTEGER: int, FieldType.DECIMAL: float, FieldType.DATE: date.fromisoformat,
            FieldType.DATETIME: datetime.fromisoformat, FieldType.BOOLEAN: lambda t: {"true": True, "false": False}[t],
            FieldType.STRING: str}[kind](text)


@pytest.mark.parametrize("projection", [ALL, GRANT], ids=["all", "grant"])
@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
def test_a16_2_csv_round_trips(companies, tmp_path, projection, bom):
    out = export_file(companies, SCHEMA, "csv", projection, tmp_path / "out.csv", bom=bom)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    text = data.decode("utf-8-sig" if bom else "utf-8")
    fields, rows = expected_rows(companies, projection)
    reader = csv.reader(io.StringIO(text, newline=""))
    assert next(reader) == fields
    back = [{n: from_text(n, v) for n, v in zip(fields, line, strict=True)} for line in reader]
    assert back == rows
    assert any(r["name"].startswith(TRICKY_NAME) for r in back) or projection is GRANT
    assert list(tmp_path.iterdir()) == [out]  # no .part left behind


def test_a16_2_csv_bom_is_the_only_difference(companies, tmp_path):
    plain = export_file(companies, SCHEMA, "csv", ALL, tmp_path / "a.csv").read_bytes()
    bom = export_file(companies, SCHEMA, "csv", ALL, tmp_path / "b.csv", bom=True).read_bytes()
    assert bom == b"\xef\xbb\xbf" + plain


@pytest.mark.parametrize("projection", [ALL, GRANT], ids=["all", "grant"])
def test_a16_2_json_round_trips(companies, tmp_path, projection):
    out = export_file(companies, SCHEMA, "json", projection, tmp_path / "out.json")
    fields, rows = expected_rows(companies, projection)
    back = json.loads(out.read_text("utf-8"))
    assert isinstance(back, list) and list(back[0]) == fields
    converted = [{n: (from_text(n, v) if TYPES[n] in (FieldType.DATE, FieldType.DATETIME) else v)
                  for n, v in r.items()} for r in back]
    assert converted == rows
    assert all("T" in r["updated_at"] for r in back)


@pytest.mark.parametrize("projection", [ALL, GRANT], ids=["all", "grant"])
def test_a16_2_xml_round_trips(companies, tmp_path, projection):
    out = export_file(companies, SCHEMA, "xml", projection, tmp_path / "out.xml")
    assert out.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    fields, rows = expected_rows(companies, projection)
    root = ElementTree.parse(out).getroot()
    assert root.tag == "rows" and all(el.tag == "row" for el in root)
    back = []
    for el in root:
        values = {child.tag: child.text for child in el}
        assert set(values) <= set(fields)
        back.append({n: from_text(n, values.get(n)) for n in fields})
    assert back == rows


def test_a16_2_xml_drops_characters_xml_cannot_carry(tmp_path):
    path = tmp_path / "odd.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'a' || chr(1) || 'b' || chr(13) || chr(10) || 'c&<>' AS name) TO '{path}' "
                "(FORMAT parquet)")
    con.close()
    schema = type(SCHEMA)((SCHEMA.fields[0],))
    root = ElementTree.parse(export_file(path, schema, "xml", ALL, tmp_path / "odd.xml")).getroot()
    assert root[0].find("name").text == "ab\r\nc&<>"


def read_xlsx(path):
    wb = openpyxl.load_workbook(path, read_only=True)
    return wb, {name: [list(r) for r in wb[name].iter_rows(values_only=True)] for name in wb.sheetnames}


def xlsx_value(name, value):
    kind = TYPES[name]
    if kind is FieldType.DATE and isinstance(value, datetime):
        return value.date()
    if kind is FieldType.DATETIME and isinstance(value, datetime):
        return value.replace(microsecond=round(value.microsecond, -3) % 1_000_000)
    return value


def rounded(row):
    return {n: (v.replace(microsecond=round(v.microsecond, -3)) if isinstance(v, datetime) else v)
            for n, v in row.items()}


@pytest.mark.parametrize("projection", [ALL, GRANT], ids=["all", "grant"])
def test_a16_2_xlsx_round_trips_with_a_field_sheet(companies, tmp_path, projection):
    out = export_file(companies, SCHEMA, "xlsx", projection, tmp_path / "out.xlsx")
    fields, rows = expected_rows(companies, projection)
    wb, sheets = read_xlsx(out)
    assert wb.sheetnames == ["数据", "数据项"]
    assert sheets["数据"][0] == fields
    back = [{n: xlsx_value(n, v) for n, v in zip(fields, line, strict=True)} for line in sheets["数据"][1:]]
    assert back == [rounded(r) for r in rows]
    legend = sheets["数据项"]
    assert legend[0] == ["name", "title", "type", "unit", "description"]
    assert [line[:2] for line in legend[1:]] == [[f.name, f.title] for f in projection.visible_fields(SCHEMA)]


@pytest.mark.parametrize("batch", [700, 20_000])
def test_a16_2_xlsx_continues_on_further_sheets_past_the_row_limit(companies, tmp_path, monkeypatch, batch):
    monkeypatch.setattr(markup, "XLSX_MAX_ROWS", 1000)  # 999 data rows and the header per sheet
    monkeypatch.setattr(markup, "BATCH_ROWS", batch)
    out = export_file(companies, SCHEMA, "xlsx", ALL, tmp_path / "out.xlsx")
    wb, sheets = read_xlsx(out)
    assert wb.sheetnames == ["数据", "数据 (2)", "数据 (3)", "数据 (4)", "数据 (5)", "数据 (6)", "数据项"]
    names = []
    for sheet in wb.sheetnames[:-1]:
        assert sheets[sheet][0] == SCHEMA.names()
        assert len(sheets[sheet]) - 1 == (999 if sheet != "数据 (6)" else 5000 - 5 * 999)
        names += [line[0] for line in sheets[sheet][1:]]
    assert names == [r["name"] for r in source_rows(companies, columns="name")]


def test_a16_2_parquet_round_trips(companies, tmp_path):
    out = export_file(companies, SCHEMA, "parquet", GRANT, tmp_path / "out.parquet")
    fields, rows = expected_rows(companies, GRANT)
    con = duckdb.connect()
    cur = con.execute("SELECT * FROM read_parquet(?)", [str(out)])
    assert [d[0] for d in cur.description] == fields
    assert [dict(zip(fields, r, strict=True)) for r in cur.fetchall()] == rows
    con.close()


def test_a16_2_a_whole_version_parquet_download_is_the_version_file(companies, tmp_path):
    """Every column and every row: the download is a copy of the version (no re-encoding, no memory); any
    projection, or a schema whose columns differ from the file's, is a real export of what is visible."""
    whole = cached_export(companies, SCHEMA, "parquet", ALL, tmp_path / "cache")
    assert whole.read_bytes() == companies.read_bytes()
    granted = cached_export(companies, SCHEMA, "parquet", GRANT, tmp_path / "cache")
    assert granted.read_bytes() != companies.read_bytes()
    con = duckdb.connect()
    fields, rows = expected_rows(companies, GRANT)
    cur = con.execute("SELECT * FROM read_parquet(?)", [str(granted)])
    assert [dict(zip(fields, r, strict=True)) for r in cur.fetchall()] == rows
    renamed = SCHEMA.__class__(tuple(reversed(SCHEMA.fields)))  # the same columns, declared in another order
    other = cached_export(companies, renamed, "parquet", ALL, tmp_path / "cache")
    assert other.read_bytes() != companies.read_bytes()
    assert [d[0] for d in con.execute("SELECT * FROM read_parquet(?)", [str(other)]).description] == \
        [f.name for f in renamed.fields]
    con.close()
    assert sorted(p.suffix for p in (tmp_path / "cache").iterdir() if p.suffix != ".lock") == [".parquet"] * 3


def test_a16_2_formats_have_media_types_and_extensions():
    assert set(FORMATS) == {"csv", "json", "xml", "xlsx", "parquet"}
    assert FORMATS["csv"].media_type.startswith("text/csv") and FORMATS["xlsx"].extension == "xlsx"
    with pytest.raises(ValueError):
        export_file("x.parquet", SCHEMA, "pdf", ALL, Path("x.pdf"))


def test_a16_2_cached_export_is_reused_and_invalidated(companies, tmp_path):
    cache = tmp_path / "cache"
    first = cached_export(companies, SCHEMA, "csv", ALL, cache)
    stamp = first.stat().st_mtime_ns, first.stat().st_ino
    again = cached_export(companies, SCHEMA, "csv", ALL, cache)
    assert again == first and (again.stat().st_mtime_ns, again.stat().st_ino) == stamp
    assert first.suffix == ".csv" and first.read_bytes() == export_file(companies, SCHEMA, "csv", ALL,
                                                                         tmp_path / "fresh.csv").read_bytes()
    others = {cached_export(companies, SCHEMA, "csv", GRANT, cache),
              cached_export(companies, SCHEMA, "csv", Projection(columns=("name",)), cache),
              cached_export(companies, SCHEMA, "csv", ALL, cache, bom=True),
              cached_export(companies, SCHEMA, "json", ALL, cache)}
    assert first not in others and len(others) == 4
    # A new file at the same path (another size or time) is another source.
    os.utime(companies, ns=(stamp[0] + 10**9, stamp[0] + 10**9))
    assert cached_export(companies, SCHEMA, "csv", ALL, cache) != first
    by_hash = cached_export(companies, SCHEMA, "csv", ALL, cache, file_sha256="ab" * 32)
    assert by_hash == cached_export(companies, SCHEMA, "csv", ALL, cache, file_sha256="ab" * 32)
    assert not list(cache.glob("*.part"))


def test_a16_2_concurrent_requests_share_one_export(companies, tmp_path, monkeypatch):
    calls = []
    real = export_module.export_file

    def counting(*args, **kwargs):
        calls.append(args[4])
        return real(*args, **kwargs)

    monkeypatch.setattr(export_module, "export_file", counting)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(
        cached_export(companies, SCHEMA, "xlsx", ALL, tmp_path / "cache"))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(results)) == 1 and len(results) == 6
    assert openpyxl.load_workbook(results[0], read_only=True).sheetnames == ["数据", "数据项"]


def test_a16_2_content_disposition_carries_chinese_names():
    header = content_disposition("苏州市企业名录（2024）.csv", "companies-2024.csv")
    assert header == ("attachment; filename=\"companies-2024.csv\"; "
                      "filename*=UTF-8''%E8%8B%8F%E5%B7%9E%E5%B8%82%E4%BC%81%E4%B8%9A%E5%90%8D%E5%BD%95"
                      "%EF%BC%882024%EF%BC%89.csv")
    assert unquote(header.split("UTF-8''")[1]) == "苏州市企业名录（2024）.csv"
    sneaky = content_disposition('../x"\r\nSet-Cookie: a=b.csv', 'a"b\\c\r\n企业.csv')
    assert "\r" not in sneaky and "\n" not in sneaky and "/" not in sneaky.split("filename*")[1]
    assert sneaky.startswith('attachment; filename="c.csv"; ')  # a backslash separates path parts too
    assert content_disposition("", "").startswith('attachment; filename="download"')


def test_a16_2_iter_file_streams_in_chunks(tmp_path):
    path = tmp_path / "blob"
    data = os.urandom(3 * 1024 + 17)
    path.write_bytes(data)
    chunks = list(iter_file(path, chunk=1024))
    assert b"".join(chunks) == data and [len(c) for c in chunks] == [1024, 1024, 1024, 17]


def test_a16_2_an_export_with_no_visible_rows_is_still_a_valid_file(companies, tmp_path):
    nothing = Projection(columns=("name", "founded"), row_filters=(Filter("district", "exact", "不存在区"),))
    assert export_file(companies, SCHEMA, "csv", nothing, tmp_path / "e.csv").read_text() == "name,founded\n"
    assert json.loads(export_file(companies, SCHEMA, "json", nothing, tmp_path / "e.json").read_text()) == []
    assert len(ElementTree.parse(export_file(companies, SCHEMA, "xml", nothing, tmp_path / "e.xml")).getroot()) == 0
    _, sheets = read_xlsx(export_file(companies, SCHEMA, "xlsx", nothing, tmp_path / "e.xlsx"))
    assert sheets["数据"] == [["name", "founded"]]
    con = duckdb.connect()
    path = export_file(companies, SCHEMA, "parquet", nothing, tmp_path / "e.parquet")
    assert con.execute("SELECT COUNT(*) FROM read_parquet(?)", [str(path)]).fetchall() == [(0,)]
    con.close()
