"""A9.2 acceptance: a corpus of bad files, each refused with a clear message that says where, and nothing left
behind (no published file, no ``.part`` file, no work directory)."""

from __future__ import annotations

import codecs
import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kaifang.datastore.ingest import (
    ALL_MSGIDS,
    MAX_FIELD_BYTES,
    IngestError,
    IngestRejected,
    ingest_file,
    remove_stale_work,
)
from kaifang.datastore.ingest import errors as m

from .files import HEADER, ROWS, SCHEMA, csv_text, write_csv, write_json, write_text, write_xlsx, write_xml

GOOD = csv_text(ROWS)
DATA_LINE = 2  # the header is line 1


def row(**changes: str) -> list[str]:
    values = dict(zip(HEADER, ROWS[0], strict=True))
    values.update(changes)
    return [values[h] for h in HEADER]


def bom_then_gbk(tmp: Path) -> Path:
    (tmp / "a.csv").write_bytes(codecs.BOM_UTF8 + csv_text([row(name="苏州中文公司")]).encode("gbk"))
    return tmp / "a.csv"


def gbk_after_utf8(tmp: Path) -> Path:
    """UTF-8 Chinese for 2,000 rows (well past the detection sample), then one row in GBK."""
    head = csv_text([row(name=f"苏州第{i}号企业") for i in range(2000)]).encode("utf-8")
    tail = ",".join(row(name="苏州中文公司")).encode("gbk") + b"\r\n"
    (tmp / "a.csv").write_bytes(head + tail)
    return tmp / "a.csv"


def utf16_lone_surrogate(tmp: Path) -> Path:
    data = GOOD.encode("utf-16") + "9132,".encode("utf-16-le") + b"\x00\xdc" + "x\r\n".encode("utf-16-le")
    (tmp / "a.csv").write_bytes(data)
    return tmp / "a.csv"


def xml_declared_utf8_but_gbk(tmp: Path) -> Path:
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<rows>\n<row><name>中文</name></row>\n</rows>\n'
    (tmp / "a.xml").write_bytes(text.encode("gbk"))
    return tmp / "a.xml"


def csv_with(tmp: Path, text: str, name: str = "a.csv") -> Path:
    return write_text(tmp / name, text)


def billion_laughs(tmp: Path) -> Path:
    entities = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    text = (f'<?xml version="1.0"?>\n<!DOCTYPE rows [<!ENTITY lol0 "lol">{entities}]>\n'
            "<rows><row><name>&lol9;</name></row></rows>\n")
    return write_text(tmp / "bomb.xml", text)


def external_entity(tmp: Path) -> Path:
    text = ('<?xml version="1.0"?>\n<!DOCTYPE rows [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            "<rows><row><name>&xxe;</name></row></rows>\n")
    return write_text(tmp / "xxe.xml", text)


def zip_of_junk(tmp: Path) -> Path:
    with zipfile.ZipFile(tmp / "a.xlsx", "w") as z:
        z.writestr("junk.bin", os.urandom(2000))
    return tmp / "a.xlsx"


def huge_cell(tmp: Path) -> Path:
    """A 50 MB value in one cell, on one line."""
    with (tmp / "a.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(GOOD)
        f.write(ROWS[0][0] + ",")
        for _ in range(50):
            f.write("甲" * (1024 * 1024 // 3) + "A")
        f.write(",1,2020-01-01,1,是,2020-01-01 00:00\r\n")
    return tmp / "a.csv"


def long_xml_value(tmp: Path) -> Path:
    name = "x" * (MAX_FIELD_BYTES + 10)
    text = f'<?xml version="1.0"?>\n<rows>\n<row><uscc>{ROWS[0][0]}</uscc>\n<name>{name}</name></row>\n</rows>\n'
    return write_text(tmp / "a.xml", text)


@dataclass
class Case:
    id: str
    make: Callable[[Path], Path]
    msgid: str
    where: dict[str, Any] = field(default_factory=dict)  # expected params / line / column / field
    kwargs: dict[str, Any] = field(default_factory=dict)


CORPUS = [
    Case("utf8-bom-claim-but-gbk-bytes", bom_then_gbk, m.ENCODING_INVALID,
         {"line": 2, "offset": 3 + len(",".join(HEADER)) + 2 + len(ROWS[0][0]) + 1, "encoding": "UTF-8"}),
    Case("gbk-row-after-utf8-rows", gbk_after_utf8, m.ENCODING_INVALID, {"line": 2002, "encoding": "UTF-8"}),
    Case("utf16-lone-surrogate", utf16_lone_surrogate, m.ENCODING_INVALID, {"line": 7, "encoding": "UTF-16"}),
    Case("xml-declared-utf8-but-gbk", xml_declared_utf8_but_gbk, m.ENCODING_INVALID, {"line": 3}),
    Case("ragged-too-many-fields", lambda t: csv_with(t, GOOD + ",".join([*row(), "extra"]) + "\r\n"),
         m.ROW_FIELD_COUNT, {"line": 7, "found": 8, "expected": 7}),
    Case("ragged-too-few-fields", lambda t: csv_with(t, csv_text([row(), row()[:5], row()])),
         m.ROW_FIELD_COUNT, {"line": 3, "found": 5, "expected": 7}),
    Case("unclosed-quote", lambda t: csv_with(t, csv_text([row()]) + '9132,"unclosed,1,2,3,4,5\r\n'),
         m.ROW_BAD_QUOTE, {"line": 3}),
    Case("header-missing-column", lambda t: csv_with(t, csv_text([r[:5] + r[6:] for r in ROWS],
                                                                 HEADER[:5] + HEADER[6:])),
         m.HEADER_MISSING, {"line": 1, "names": "active"}),
    Case("header-unexpected-column", lambda t: csv_with(t, csv_text([[*r, "备注"] for r in ROWS],
                                                                    [*HEADER, "remark"])),
         m.HEADER_UNEXPECTED, {"line": 1, "names": "remark"}),
    Case("header-duplicated-column", lambda t: csv_with(t, csv_text([[*r, r[1]] for r in ROWS], [*HEADER, "企业名称"])),
         m.HEADER_DUPLICATE, {"line": 1, "column": "8", "field": "name", "first": "2"}),
    Case("no-header", lambda t: csv_with(t, csv_text(ROWS[1:], ROWS[0])), m.HEADER_NOT_A_HEADER, {"line": 1}),
    Case("integer-type-error", lambda t: csv_with(t, csv_text([row(), row(employees="十二")])),
         m.VALUE_NOT_INTEGER, {"line": 3, "column": "5", "field": "employees", "value": "十二"}),
    Case("integer-out-of-range", lambda t: csv_with(t, csv_text([row(employees="99999999999999999999")])),
         m.VALUE_INTEGER_RANGE, {"line": 2, "column": "5", "field": "employees"}),
    Case("bad-date", lambda t: csv_with(t, csv_text([row(), row(), row(established="2023-02-30")])),
         m.VALUE_NOT_DATE, {"line": 4, "column": "4", "field": "established", "value": "2023-02-30"}),
    Case("bad-date-after-quoted-line-break", lambda t: csv_with(t, csv_text([ROWS[3], row(established="5/1/2020")])),
         m.VALUE_NOT_DATE, {"line": 4, "column": "4", "field": "established"}),
    Case("required-field-empty", lambda t: csv_with(t, csv_text([row(), row(name="  ")])),
         m.VALUE_REQUIRED, {"line": 3, "column": "2", "field": "name"}),
    Case("empty-file", lambda t: csv_with(t, ""), m.FILE_EMPTY),
    Case("only-a-bom", lambda t: write_text(t / "a.csv", "", "utf-8-sig"), m.FILE_EMPTY),
    Case("random-bytes", lambda t: (t / "a.csv").write_bytes(random.Random(1).randbytes(5000)) and t / "a.csv",
         m.FORMAT_BINARY, {"kind": "unknown binary data"}),
    Case("png-renamed-csv", lambda t: (t / "a.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
         and t / "a.csv", m.FORMAT_BINARY, {"kind": "a PNG image"}),
    Case("xml-billion-laughs", billion_laughs, m.XML_ENTITIES, {"line": 2}),
    Case("xml-external-entity", external_entity, m.XML_ENTITIES, {"line": 2}),
    Case("xml-malformed", lambda t: write_text(t / "a.xml", "<rows>\n<row><name>甲</row>\n</rows>"),
         m.XML_MALFORMED, {"line": 2}),
    Case("json-malformed", lambda t: write_text(t / "a.json", '[\n{"uscc": "x",\n "name": "甲",}\n]'),
         m.JSON_MALFORMED, {"line": 3}),
    Case("json-not-objects", lambda t: write_text(t / "a.json", "[1, 2, 3]"), m.JSON_NOT_RECORDS, {"line": 1}),
    Case("json-wrapped-object", lambda t: write_text(t / "a.json", '{\n  "rows": []\n}\n'),
         m.JSON_NOT_RECORDS, {"line": 1}),
    Case("json-nested-value", lambda t: write_text(t / "a.json", '[{"uscc": "x", "name": {"zh": "甲"}}]'),
         m.VALUE_NESTED, {"line": 1, "field": "name"}),
    Case("huge-single-field", huge_cell, m.ROW_TOO_LONG, {"line": 7}),
    Case("field-over-1-MiB", lambda t: csv_with(t, csv_text([row(name="x" * (MAX_FIELD_BYTES + 1))])),
         m.VALUE_TOO_LONG, {"line": 2, "column": "2", "field": "name"}),
    Case("xml-field-over-1-MiB", long_xml_value, m.VALUE_TOO_LONG, {"line": 4, "column": "name"}),
    Case("over-max-bytes", lambda t: csv_with(t, GOOD), m.FILE_TOO_LARGE, {"limit": 100}, {"max_bytes": 100}),
    Case("xlsx-that-is-a-zip-of-junk", zip_of_junk, m.WORKBOOK_INVALID),
    Case("xlsx-that-is-text", lambda t: csv_with(t, GOOD, "a.xlsx"), m.FORMAT_MISMATCH, {"claimed": ".xlsx"}),
    Case("xls-that-is-junk", lambda t: (t / "a.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
         and t / "a.xls", m.WORKBOOK_INVALID),
    Case("xlsx-value-without-heading", lambda t: write_xlsx(t / "a.xlsx", [[*ROWS[0], "", "stray"]], typed=False),
         m.ROW_EXTRA_VALUE, {"line": 2, "column": "I"}),
    Case("xlsx-type-error", lambda t: write_xlsx(t / "a.xlsx", [row(), row(), row(employees="约100")], typed=False),
         m.VALUE_NOT_INTEGER, {"line": 4, "column": "E", "field": "employees", "value": "约100"}),
    Case("json-type-error", lambda t: write_text(t / "a.json", '[\n{"uscc": "x", "name": "甲"},\n'
                                                 '{"uscc": "y", "name": "乙", "成立日期": "2020-1-32"}\n]'),
         m.VALUE_NOT_DATE, {"line": 3, "column": "成立日期", "field": "established"}),
    Case("xml-type-error", lambda t: write_xml(t / "a.xml", [row(), row(active="也许")]),
         m.VALUE_NOT_BOOLEAN, {"line": 4, "column": "active", "field": "active", "value": "也许"}),
    Case("unknown-extension", lambda t: csv_with(t, GOOD, "a.docx"), m.FORMAT_UNKNOWN),
]


def _matches(problem_params: dict[str, Any], where: dict[str, Any]) -> bool:
    return all(problem_params.get(k) == v for k, v in where.items())


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_A9_2_bad_file_is_refused_clearly_and_leaves_nothing(tmp_path, case):
    upload = tmp_path / "upload"
    upload.mkdir()
    src = case.make(upload)
    published = tmp_path / "published"
    published.mkdir()
    dest = published / "v2.parquet"
    with pytest.raises(IngestError) as raised:
        ingest_file(src, src.name, SCHEMA, dest, **case.kwargs)
    exc = raised.value
    if isinstance(exc, IngestRejected):
        assert exc.msgid == m.REJECTED and exc.params == {"count": exc.total}
        assert any(p.msgid == case.msgid and _matches(p.all_params(), case.where) for p in exc.problems), \
            [(p.msgid, p.all_params()) for p in exc.problems]
        messages = [p.message() for p in exc.problems]
        assert all(msg and "%(" not in msg for msg in messages)
        assert all(p.msgid in ALL_MSGIDS for p in exc.problems)
    else:
        assert exc.msgid == case.msgid, exc.message()
        assert _matches(exc.params, case.where), exc.params
    assert exc.msgid in ALL_MSGIDS
    assert "%(" not in exc.message()
    assert not dest.exists()
    assert list(published.iterdir()) == []  # no .part file, no work directory


def test_A9_2_the_corpus_has_at_least_15_bad_files():
    assert len(CORPUS) >= 15


def test_A9_2_problems_are_listed_in_file_order_up_to_the_limit_and_all_counted(tmp_path):
    rows = [row(employees="x" if i % 2 else "1", established="2020-13-01" if i % 3 == 0 else "2020-01-01")
            for i in range(300)]
    rows.insert(10, row()[:3])
    src = write_csv(tmp_path / "a.csv", rows)
    with pytest.raises(IngestRejected) as raised:
        ingest_file(src, "a.csv", SCHEMA, tmp_path / "a.parquet", max_problems=25)
    exc = raised.value
    assert exc.total == 150 + 100 + 1
    assert len(exc.problems) == 25
    lines = [p.line for p in exc.problems]
    assert lines == sorted(lines) and lines[0] == 2
    assert (12, m.ROW_FIELD_COUNT) in [(p.line, p.msgid) for p in exc.problems]
    assert exc.problems[0].message() == "Line 2, column 4 (established): '2020-13-01' is not a date (YYYY-MM-DD)."


def test_A9_2_a_stale_ascii_sample_then_gbk_is_read_as_gb18030(tmp_path):
    """An ASCII start says nothing about the encoding: a later GBK line makes the whole file GB18030."""
    head = csv_text([row(name=f"company {i}", active="true") for i in range(1500)]).encode("ascii")
    tail = ",".join(row(name="苏州中文公司")).encode("gbk") + b"\r\n"
    (tmp_path / "a.csv").write_bytes(head + tail)
    result = ingest_file(tmp_path / "a.csv", "a.csv", SCHEMA, tmp_path / "a.parquet")
    assert (result.encoding, result.row_count) == ("gb18030", 1501)


@pytest.mark.parametrize("when", [0.0, 0.3, 0.7, 0.99])
def test_A9_2_an_exception_mid_ingest_leaves_nothing(tmp_path, when):
    src = write_csv(tmp_path / "a.csv", ROWS * 2000)
    published = tmp_path / "published"
    published.mkdir()

    class Stop(Exception):
        pass

    def fail(fraction: float) -> None:
        if fraction >= when:
            raise Stop

    with pytest.raises(Stop):
        ingest_file(src, "a.csv", SCHEMA, published / "v.parquet", on_progress=fail)
    assert list(published.iterdir()) == []


def test_A9_2_a_published_version_is_never_overwritten(tmp_path):
    src = write_json(tmp_path / "a.json")
    dest = tmp_path / "v.parquet"
    ingest_file(src, "a.json", SCHEMA, dest)
    before = dest.read_bytes()
    with pytest.raises(FileExistsError):
        ingest_file(src, "a.json", SCHEMA, dest)
    assert dest.read_bytes() == before


def test_A9_2_msgids_are_unique_and_format_with_their_parameters():
    assert len(set(ALL_MSGIDS)) == len(ALL_MSGIDS)
    for msgid in ALL_MSGIDS:
        names = {part.split(")s", 1)[0] for part in msgid.split("%(")[1:]}
        assert msgid % dict.fromkeys(names, "x")


def test_A9_2_what_a_killed_ingest_left_is_cleared_once_stale(tmp_path):
    (tmp_path / ".ingest-abc").mkdir()
    (tmp_path / ".ingest-abc" / "duckdb.tmp").write_text("x")
    (tmp_path / "v3.parquet.part").write_text("x")
    (tmp_path / "v2.parquet").write_text("published")
    assert remove_stale_work(tmp_path) == 0  # fresh: it may belong to a running ingest
    old = 1_000_000_000
    for name in (".ingest-abc", "v3.parquet.part", "v2.parquet"):
        os.utime(tmp_path / name, (old, old))
    assert remove_stale_work(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["v2.parquet"]
