"""A9.2 ingest: every format and encoding an agency uploads becomes the same typed Parquet table."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest

from kaifang.datastore.ingest import errors as m
from kaifang.datastore.ingest import ingest_file, preview_rows, read_header
from kaifang.datastore.schema import FieldSpec, FieldType, TableSchema

from .files import (
    EXPECTED,
    HEADER,
    ROWS,
    SCHEMA,
    csv_text,
    write_csv,
    write_json,
    write_jsonl,
    write_text,
    write_xls,
    write_xlsx,
    write_xml,
)

GBK_ROWS = [[v.replace("𠀀", "东") for v in row] for row in ROWS]  # U+20000 is beyond GBK (not GB18030)
GBK_EXPECTED = [tuple(v.replace("𠀀", "东") if isinstance(v, str) else v for v in row) for row in EXPECTED]


def read_parquet(path: Path) -> list[tuple]:
    return duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}')").fetchall()


def parquet_types(path: Path) -> list[str]:
    return [r[1] for r in duckdb.connect().execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]


@pytest.mark.parametrize(("encoding", "detected", "rows", "expected"), [
    ("utf-8", "utf-8", ROWS, EXPECTED),
    ("utf-8-sig", "utf-8-sig", ROWS, EXPECTED),
    ("gbk", "gb18030", GBK_ROWS, GBK_EXPECTED),
    ("gb18030", "gb18030", ROWS, EXPECTED),
    ("utf-16", "utf-16-le", ROWS, EXPECTED),
    ("utf-16-be", "utf-16-be", ROWS, EXPECTED),
    ("utf-16-le", "utf-16-le", ROWS, EXPECTED),  # no BOM: recognised by its zero bytes
])
def test_A9_2_csv_in_every_encoding_round_trips_exactly(tmp_path, encoding, detected, rows, expected):
    src = write_csv(tmp_path / "企业名录.csv", rows, encoding=encoding)
    dest = tmp_path / "v1.parquet"
    result = ingest_file(src, "企业名录.csv", SCHEMA, dest)
    assert (result.format, result.encoding, result.delimiter) == ("csv", detected, ",")
    assert result.row_count == 4 and result.field_count == 7 and result.problems == []
    assert read_parquet(dest) == expected
    assert parquet_types(dest) == ["VARCHAR", "VARCHAR", "DOUBLE", "DATE", "BIGINT", "BOOLEAN", "TIMESTAMP"]
    assert result.parquet_path == dest and result.size_bytes == dest.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["企业名录.csv", "v1.parquet"])


def test_A9_2_gbk_text_is_kept_byte_for_byte(tmp_path):
    """Every two-byte GBK character survives the trip (GB18030 decodes GBK identically)."""
    chars = []
    for lead in range(0x81, 0xFF):
        for trail in (0x40, 0x7E, 0x80, 0xA1, 0xFE):
            try:
                chars.append(bytes([lead, trail]).decode("gbk"))
            except UnicodeDecodeError:
                pass
    text = "".join(c for c in chars if c not in '",\r\n')
    rows = [[ROWS[0][0], text[i:i + 60], "", "", "", "", ""] for i in range(0, len(text), 60)]
    src = write_csv(tmp_path / "gbk.csv", rows, encoding="gbk")
    ingest_file(src, "gbk.csv", SCHEMA, tmp_path / "v.parquet")
    assert "".join(r[1] for r in read_parquet(tmp_path / "v.parquet")) == text


def test_A9_2_tsv_and_other_delimiters(tmp_path):
    src = write_csv(tmp_path / "a.tsv", ROWS, delimiter="\t")
    result = ingest_file(src, "a.tsv", SCHEMA, tmp_path / "a.parquet")
    assert (result.format, result.delimiter) == ("tsv", "\t")
    assert read_parquet(tmp_path / "a.parquet") == EXPECTED
    src = write_csv(tmp_path / "b.csv", ROWS, delimiter=";")
    result = ingest_file(src, "b.csv", SCHEMA, tmp_path / "b.parquet")
    assert result.delimiter == ";"
    assert read_parquet(tmp_path / "b.parquet") == EXPECTED


def test_A9_2_columns_in_any_order_and_by_chinese_title(tmp_path):
    titles = [f.title for f in SCHEMA.fields]
    order = [6, 0, 5, 1, 4, 2, 3]
    rows = [[row[i] for i in order] for row in ROWS]
    src = write_csv(tmp_path / "a.csv", rows, header=[titles[i] for i in order])
    ingest_file(src, "a.csv", SCHEMA, tmp_path / "a.parquet")
    assert read_parquet(tmp_path / "a.parquet") == EXPECTED


def test_A9_2_xlsx_round_trips(tmp_path):
    src = write_xlsx(tmp_path / "企业.xlsx")
    result = ingest_file(src, "企业.xlsx", SCHEMA, tmp_path / "v.parquet")
    assert (result.format, result.encoding, result.delimiter, result.row_count) == ("xlsx", None, None, 4)
    assert read_parquet(tmp_path / "v.parquet") == EXPECTED


def test_A9_2_xlsx_of_text_cells_round_trips(tmp_path):
    src = write_xlsx(tmp_path / "企业.xlsx", typed=False)
    ingest_file(src, "企业.xlsx", SCHEMA, tmp_path / "v.parquet")
    assert read_parquet(tmp_path / "v.parquet") == EXPECTED


def test_A9_2_xls_round_trips(tmp_path):
    src = write_xls(tmp_path / "企业.xls")
    result = ingest_file(src, "企业.xls", SCHEMA, tmp_path / "v.parquet")
    assert (result.format, result.row_count) == ("xls", 4)
    assert read_parquet(tmp_path / "v.parquet") == EXPECTED


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_A9_2_json_array_round_trips(tmp_path, encoding):
    src = write_json(tmp_path / "企业.json", encoding=encoding)
    result = ingest_file(src, "企业.json", SCHEMA, tmp_path / "v.parquet")
    assert (result.format, result.row_count) == ("json", 4)
    assert read_parquet(tmp_path / "v.parquet") == EXPECTED


def test_A9_2_json_lines_round_trip(tmp_path):
    src = write_jsonl(tmp_path / "企业.jsonl")
    result = ingest_file(src, "企业.jsonl", SCHEMA, tmp_path / "v.parquet")
    assert (result.format, result.row_count) == ("jsonl", 4)
    assert read_parquet(tmp_path / "v.parquet") == EXPECTED
    # A .json file holding one object per line is read as JSON Lines.
    (tmp_path / "b.json").write_bytes(src.read_bytes())
    assert ingest_file(tmp_path / "b.json", "b.json", SCHEMA, tmp_path / "b.parquet").format == "jsonl"


@pytest.mark.parametrize(("encoding", "attributes"), [("utf-8", False), ("gbk", False), ("utf-8", True)])
def test_A9_2_xml_round_trips(tmp_path, encoding, attributes):
    rows = GBK_ROWS if encoding == "gbk" else ROWS
    src = write_xml(tmp_path / "企业.xml", rows, encoding=encoding, attributes=attributes)
    result = ingest_file(src, "企业.xml", SCHEMA, tmp_path / "v.parquet")
    assert (result.format, result.row_count) == ("xml", 4)
    assert read_parquet(tmp_path / "v.parquet") == (GBK_EXPECTED if encoding == "gbk" else EXPECTED)


def test_A9_2_header_only_is_an_empty_table_with_a_notice(tmp_path):
    src = write_csv(tmp_path / "a.csv", [])
    result = ingest_file(src, "a.csv", SCHEMA, tmp_path / "a.parquet")
    assert result.row_count == 0
    assert [p.msgid for p in result.problems] == [m.NOTICE_NO_ROWS]
    assert read_parquet(tmp_path / "a.parquet") == []
    assert len(parquet_types(tmp_path / "a.parquet")) == 7


def test_A9_2_blank_lines_are_skipped_and_spaces_around_typed_values_ignored(tmp_path):
    text = csv_text([]) + "\r\n" + ",".join([ROWS[0][0], "甲", " 1.5 ", "\u30002015-03-18", "\t7", " 是 ",
                                              "2024-05-06 09:30:00 "]) + "\r\n\r\n"
    src = write_text(tmp_path / "a.csv", text)
    ingest_file(src, "a.csv", SCHEMA, tmp_path / "a.parquet")
    assert read_parquet(tmp_path / "a.parquet") == [
        (ROWS[0][0], "甲", 1.5, date(2015, 3, 18), 7, True, datetime(2024, 5, 6, 9, 30))]


def test_A9_2_datetimes_with_an_offset_are_stored_in_china_standard_time(tmp_path):
    schema = TableSchema((FieldSpec("at", "时间", FieldType.DATETIME),))
    values = ["2024-01-05T10:00:00Z", "2024-01-05 10:00:00+02:00", "2024-01-05 10:00:00.5-0530",
              "2024-01-05 10:00+08", "2024/1/5 9:05"]
    src = write_text(tmp_path / "a.csv", "at\n" + "\n".join(values) + "\n")
    ingest_file(src, "a.csv", schema, tmp_path / "a.parquet")
    assert [r[0] for r in read_parquet(tmp_path / "a.parquet")] == [
        datetime(2024, 1, 5, 18, 0), datetime(2024, 1, 5, 16, 0), datetime(2024, 1, 5, 23, 30, 0, 500000),
        datetime(2024, 1, 5, 10, 0), datetime(2024, 1, 5, 9, 5)]


def test_A9_2_progress_is_reported_from_0_to_1(tmp_path):
    src = write_csv(tmp_path / "a.csv", ROWS * 500)
    seen: list[float] = []
    ingest_file(src, "a.csv", SCHEMA, tmp_path / "a.parquet", on_progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)
    assert max(b - a for a, b in pairwise(seen)) <= 0.6  # steps; fine-grained on big files


def test_A9_2_preview_shows_what_was_detected(tmp_path):
    src = write_csv(tmp_path / "a.csv", GBK_ROWS, encoding="gbk")
    preview = preview_rows(src, "a.csv", n=2)
    assert (preview.format, preview.encoding, preview.delimiter, preview.has_header) == ("csv", "gb18030", ",", True)
    assert preview.header == HEADER
    assert preview.rows == [GBK_ROWS[0], GBK_ROWS[1]]
    assert read_header(src, "a.csv").rows == []
    xlsx = preview_rows(write_xlsx(tmp_path / "a.xlsx"), "a.xlsx", n=1)
    assert xlsx.header == HEADER and xlsx.rows[0][:3] == [ROWS[0][0], ROWS[0][1], "1200.5"]
    xml = preview_rows(write_xml(tmp_path / "a.xml"), "a.xml", n=3)
    assert xml.header == HEADER and len(xml.rows) == 3
    json_preview = preview_rows(write_json(tmp_path / "a.json"), "a.json")
    assert json_preview.header == HEADER and len(json_preview.rows) == 4
