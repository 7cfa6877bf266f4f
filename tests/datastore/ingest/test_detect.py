"""A9.2 detection of format, encoding, delimiter and header, and the streamed transcoding behind it."""

from __future__ import annotations

import codecs
import sys
import zipfile

import pytest

from kaifang.datastore.ingest import IngestError, detect_encoding, detect_format, sniff_csv, text
from kaifang.datastore.ingest import errors as m

from .files import ROWS, csv_text, write_text, write_xls, write_xlsx


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("a.csv", "a,b\n1,2\n", "csv"),
    ("a.TXT", "a,b\n1,2\n", "csv"),
    ("a.tsv", "a\tb\n", "tsv"),
    ("a.json", '[{"a": 1}]', "json"),
    ("a.json", '\ufeff {"a": 1}\n', "jsonl"),
    ("a.ndjson", '{"a": 1}\n', "jsonl"),
    ("a.xml", "<rows/>", "xml"),
    ("upload", "<rows/>", "xml"),
    ("upload", "[]", "json"),
    ("upload", "a,b\n", "csv"),
])
def test_A9_2_format_from_extension_and_content(tmp_path, name, content, expected):
    path = write_text(tmp_path / "f", content)
    assert detect_format(path, name) == expected


def test_A9_2_workbooks_are_known_by_their_bytes(tmp_path):
    xlsx = write_xlsx(tmp_path / "a.xlsx")
    xls = write_xls(tmp_path / "a.xls")
    assert detect_format(xlsx, "a.xlsx") == "xlsx"
    assert detect_format(xlsx, "renamed.csv") == "xlsx"  # a workbook saved under the wrong name
    assert detect_format(xls, "a.xls") == "xls"
    assert detect_format(xls, "a.xlsx") == "xls"
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as z:
        z.writestr("data.csv", "a,b\n")
    with pytest.raises(IngestError) as exc:
        detect_format(tmp_path / "b.zip", "b.csv")
    assert exc.value.msgid == m.FORMAT_MISMATCH


@pytest.mark.parametrize(("codec", "expected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
    ("utf-16", "utf-16-le"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"),
])
def test_A9_2_encoding_detection(tmp_path, codec, expected):
    rows = [[v.replace("𠀀", "东") for v in row] for row in ROWS] if codec == "gbk" else ROWS
    path = write_text(tmp_path / "a.csv", csv_text(rows), codec)
    assert detect_encoding(path) == expected
    if codec == "utf-16":
        assert path.read_bytes().startswith(codecs.BOM_UTF16_LE)


def test_A9_2_an_encoding_that_is_neither_utf8_nor_gb18030_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"name\nabc\x80\x80def\n")
    with pytest.raises(IngestError) as exc:
        detect_encoding(path)
    assert exc.value.msgid == m.ENCODING_UNKNOWN


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_A9_2_delimiter_and_header_are_sniffed(tmp_path, delimiter):
    path = write_text(tmp_path / "a.csv", csv_text(ROWS, delimiter=delimiter))
    assert sniff_csv(path, "utf-8") == (delimiter, True)
    headless = write_text(tmp_path / "b.csv", csv_text(ROWS[1:], ROWS[0], delimiter=delimiter))
    assert sniff_csv(headless, "utf-8") == (delimiter, False)


def _gbk_file(tmp_path, rows: int = 20000):
    body = csv_text([[ROWS[0][0], f"苏州第{i}号企业", "1", "2020-01-01", "1", "是", ""] for i in range(rows)])
    path = tmp_path / "gbk.csv"
    path.write_bytes(body.encode("gbk"))
    return path, body


@pytest.mark.parametrize("helper", [True, False])
def test_A9_2_parallel_transcoding_gives_the_same_text(tmp_path, monkeypatch, helper):
    monkeypatch.setattr(text, "PARALLEL_MIN_BYTES", 0)
    if not helper:
        monkeypatch.setattr(sys, "executable", "")
    src, body = _gbk_file(tmp_path)
    seen: list[int] = []
    text.transcode_to_utf8(src, tmp_path / "out.csv", "gb18030", on_bytes=seen.append)
    assert (tmp_path / "out.csv").read_bytes().decode("utf-8") == body
    assert seen[-1] == src.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gbk.csv", "out.csv"]


@pytest.mark.parametrize("where", [0.25, 0.75])
def test_A9_2_parallel_transcoding_reports_the_first_bad_byte(tmp_path, monkeypatch, where):
    monkeypatch.setattr(text, "PARALLEL_MIN_BYTES", 0)
    src, _ = _gbk_file(tmp_path)
    data = bytearray(src.read_bytes())
    at = data.index(b"\n", int(len(data) * where)) + 1 + 19  # the first byte of a company name
    data[at] = 0xFF
    src.write_bytes(bytes(data))
    with pytest.raises(IngestError) as exc:
        text.transcode_to_utf8(src, tmp_path / "out.csv", "gb18030")
    line = data[:at].count(b"\n") + 1
    assert exc.value.params == {"line": line, "offset": at, "encoding": "GB18030"}


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_A9_2_utf16_without_bom_is_recognised_in_mostly_chinese_text(tmp_path, codec):
    body = "名称,地址,法定代表人\n" + "苏州工业园区星海科技有限公司,苏州市姑苏区干将西路一千二百号,王小明\n" * 50
    path = write_text(tmp_path / "a.csv", body, codec)  # 一 (U+4E00) puts zero bytes at the other parity too
    assert (detect_format(path, "a.csv"), detect_encoding(path)) == ("csv", codec)
