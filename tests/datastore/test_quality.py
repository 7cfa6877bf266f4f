"""A16.1 quality report per version, and the check characters behind it (统一社会信用代码, 身份证号)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import duckdb
import pytest

from kaifang.accounts.uscc import check_char
from kaifang.datastore.checks import (
    id_card_check_char,
    id_card_valid_sql,
    is_valid_id_card,
    is_valid_uscc,
    uscc_valid_sql,
)
from kaifang.datastore.ingest import ingest_file
from kaifang.datastore.quality import QualityReport, quality_report
from kaifang.datastore.schema import FieldFormat, FieldSpec, FieldType, TableSchema

TODAY = date(2025, 6, 1)
SCHEMA = TableSchema((
    FieldSpec("uscc", "统一社会信用代码", format=FieldFormat.USCC, required=True),
    FieldSpec("name", "企业名称", required=True),
    FieldSpec("legal_id", "法定代表人身份证号", format=FieldFormat.ID_CARD),
    FieldSpec("established", "成立日期", FieldType.DATE),
    FieldSpec("employees", "从业人数", FieldType.INTEGER),
))
U1, U2, U3 = (b + check_char(b) for b in ("91320594MA1MXXXXX", "91320505MA1NABCD1", "91320583MA1P12345"))
I1, I2 = (b + id_card_check_char(b) for b in ("32050219900307123", "32058419851231002"))
BAD_USCC = U3[:-1] + ("0" if U3[-1] != "0" else "1")
BAD_ID = I1[:-1] + ("0" if I1[-1] != "0" else "1")


def table(tmp_path, rows, name="v.parquet", schema=SCHEMA):
    """A published version; ingest runs without the required flags, which the data items may gain later."""
    src = tmp_path / (name + ".csv")
    src.write_text(",".join(schema.names()) + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    dest = tmp_path / name
    ingest_file(src, src.name, TableSchema(tuple(replace(f, required=False) for f in schema.fields)), dest)
    return dest


CLEAN = [[U1, "甲公司", I1, "2001-05-01", "10"], [U2, "乙公司", I2, "2010-01-31", "20"],
         [U3, "丙公司", "320502800101001", "2020-12-12", "30"]]
DIRTY = [
    [U1, "甲公司", I1, "2001-05-01", "10"],
    [U1, "甲公司", I1, "2001-05-01", "10"],  # duplicate of the row above
    [U1, "甲公司", I1, "2001-05-01", "10"],  # and again
    [BAD_USCC, "丙公司", BAD_ID, "1850-01-01", ""],  # wrong check characters, a date before 1900
    [U2, "  ", "", "2027-01-01", "5"],  # name only spaces, a date beyond today + 1 year
    [U3, "丁公司", "12345", "", "7"],  # an ID number of the wrong shape
]


def test_A16_1_clean_table(tmp_path):
    report = quality_report(table(tmp_path, CLEAN), SCHEMA, today=TODAY)
    assert (report.row_count, report.duplicate_rows, report.score, report.grade) == (3, 0, 100.0, "Excellent")
    assert all(c.invalid == 0 and c.empty == 0 for c in report.columns)
    assert report.column("employees").min == 10 and report.column("employees").max == 30
    assert report.column("established").min == "2001-05-01" and report.column("established").max == "2020-12-12"
    assert report.column("uscc").distinct == 3


def test_A16_1_dirty_table_counts_exactly_and_scores_lower(tmp_path):
    report = quality_report(table(tmp_path, DIRTY), SCHEMA, today=TODAY)
    assert report.row_count == 6
    assert report.duplicate_rows == 2 and report.duplicate_ratio == pytest.approx(2 / 6, abs=1e-6)
    uscc, name, legal_id = report.column("uscc"), report.column("name"), report.column("legal_id")
    established, employees = report.column("established"), report.column("employees")
    assert (uscc.empty, uscc.invalid_format, uscc.distinct) == (0, 1, 4)
    assert (name.empty, name.empty_ratio) == (1, pytest.approx(1 / 6, abs=1e-6))
    assert (legal_id.empty, legal_id.invalid_format) == (1, 2)
    assert (established.empty, established.out_of_range) == (1, 2)
    assert (established.min, established.max) == ("1850-01-01", "2027-01-01")
    assert (employees.empty, employees.invalid) == (1, 0)
    assert report.score < quality_report(table(tmp_path, CLEAN, "c.parquet"), SCHEMA, today=TODAY).score
    # 100 - 30*mean(0, 1/6) - 10*mean(1/6, 1/6, 1/6) - 20*(2/6) - 40*(5 bad / 21 non-empty checked values)
    assert report.score == round(100 - 30 * (1 / 12) - 10 * (1 / 6) - 20 * (2 / 6) - 40 * (5 / 21), 1)
    assert report.grade == "Good"


def test_A16_1_values_breaking_a_type_changed_after_publishing(tmp_path):
    """The data items can change after a version is published: a text column now declared integer."""
    as_text = TableSchema(tuple(FieldSpec(f.name, f.title, format=f.format) for f in SCHEMA.fields))
    path = table(tmp_path, [[U1, "甲", I1, "2001-05-01", "12"], [U2, "乙", I2, "2001/5/1", "十二"]], schema=as_text)
    report = quality_report(path, SCHEMA, today=TODAY)
    assert report.column("employees").invalid_type == 1
    assert report.column("established").invalid_type == 0
    assert report.column("employees").max == 12


def test_A16_1_report_round_trips_through_json(tmp_path):
    report = quality_report(table(tmp_path, DIRTY), SCHEMA, today=TODAY)
    assert QualityReport.from_json(report.to_json()) == report


def test_A16_1_empty_table_and_missing_column(tmp_path):
    path = table(tmp_path, [])
    report = quality_report(path, SCHEMA, today=TODAY)
    assert (report.row_count, report.score, report.grade) == (0, 0.0, "Poor")
    wider = TableSchema((*SCHEMA.fields, FieldSpec("phone", "电话")))
    report = quality_report(table(tmp_path, CLEAN, "w.parquet"), wider, today=TODAY)
    assert report.column("phone").present is False and report.column("phone").empty == 3


def test_A16_1_id_card_check_character():
    assert is_valid_id_card("11010519491231002X")  # the example of GB 11643
    assert is_valid_id_card("11010519491231002x")
    assert not is_valid_id_card("110105194912310021")
    assert is_valid_id_card("110105491231002")  # the old 15-digit numbers have no check character
    assert not is_valid_id_card("11010519491231002")
    assert not is_valid_id_card("1101051949123100XX")
    assert is_valid_uscc(U1) and not is_valid_uscc(BAD_USCC)


def test_A16_1_sql_checks_agree_with_python():
    rng = random.Random(5)
    values = ["", "  ", "11010519491231002X", "110105491231002", "abc", U1, U2, U3, BAD_USCC, BAD_ID, U1.lower()]
    for _ in range(400):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        values.append(body + rng.choice("0123456789X"))
        ubody = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
            rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        values.append(ubody + rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY"))
    con = duckdb.connect()
    con.execute("CREATE TABLE v (x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?)", [[x] for x in values])
    got = con.execute(f"SELECT x, {uscc_valid_sql('x')}, {id_card_valid_sql('x')} FROM v").fetchall()
    for x, uscc_ok, id_ok in got:
        assert bool(uscc_ok) == is_valid_uscc(x), x
        assert bool(id_ok) == is_valid_id_card(x), x
    assert sum(1 for _, u, _ in got if u) > 10 and sum(1 for _, _, i in got if i) > 10
