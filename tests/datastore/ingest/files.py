"""Writers of real upload files for the ingest tests: every format, every encoding, on disk in tmp_path."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import xlwt

from kaifang.accounts.uscc import check_char
from kaifang.datastore.checks import id_card_check_char
from kaifang.datastore.schema import FieldFormat, FieldSpec, FieldType, TableSchema

SCHEMA = TableSchema((
    FieldSpec("uscc", "统一社会信用代码", format=FieldFormat.USCC, required=True),
    FieldSpec("name", "企业名称", required=True),
    FieldSpec("capital", "注册资本（万元）", FieldType.DECIMAL),
    FieldSpec("established", "成立日期", FieldType.DATE),
    FieldSpec("employees", "从业人数", FieldType.INTEGER),
    FieldSpec("active", "是否存续", FieldType.BOOLEAN),
    FieldSpec("updated_at", "更新时间", FieldType.DATETIME),
))
HEADER = SCHEMA.names()


def uscc(body: str) -> str:
    return body + check_char(body)


def id_card(body: str) -> str:
    return body + id_card_check_char(body)


# Text rows as an agency writes them (commas, quotes, a line break and rare characters included)...
ROWS = [
    [uscc("91320594MA1MXXXXX"), "苏州工业园区星海科技有限公司", "1200.50", "2015-03-18", "120", "是",
     "2024-05-06 09:30:00"],
    [uscc("91320505MA1NABCD1"), "苏州市姑苏区\"老字号\"餐饮店, 观前街", "-3.25", "1998/7/1", "-5", "false",
     "2024-05-06T23:59:59"],
    [uscc("91320583MA1P12345"), "昆山鑫龘精密机械有限公司（𠀀分厂）", "", "", "", "", ""],
    [uscc("91320581MA1Q9XY20"), "常熟市碧溪街道\n第二分公司", "0", "2000-02-29", "0", "否", "2020-01-01 00:00"],
]
# ...and the values the Parquet file holds for them.
EXPECTED = [
    (ROWS[0][0], ROWS[0][1], 1200.5, date(2015, 3, 18), 120, True, datetime(2024, 5, 6, 9, 30)),
    (ROWS[1][0], ROWS[1][1], -3.25, date(1998, 7, 1), -5, False, datetime(2024, 5, 6, 23, 59, 59)),
    (ROWS[2][0], ROWS[2][1], None, None, None, None, None),
    (ROWS[3][0], ROWS[3][1], 0.0, date(2000, 2, 29), 0, False, datetime(2020, 1, 1, 0, 0)),
]


def csv_text(rows: list[list[str]], header: list[str] | None = None, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER if header is None else header)
    writer.writerows(rows)
    return out.getvalue()


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """``encoding`` is a Python codec: utf-8, utf-8-sig (with BOM), gbk, gb18030, utf-16 (with BOM), utf-16-le."""
    path.write_bytes(text.encode(encoding))
    return path


def write_csv(path: Path, rows: list[list[str]] | None = None, *, encoding: str = "utf-8",
              header: list[str] | None = None, delimiter: str = ",") -> Path:
    return write_text(path, csv_text(ROWS if rows is None else rows, header, delimiter), encoding)


def _typed_cells(row: list[str]) -> list[object]:
    """Cells as a spreadsheet holds them: numbers as numbers, dates as dates, empty as nothing."""
    cells: list[object] = [row[0], row[1]]
    cells.append(float(row[2]) if row[2] else None)
    cells.append(datetime.strptime(row[3].replace("/", "-"), "%Y-%m-%d") if row[3] else None)
    cells.append(int(row[4]) if row[4] else None)
    cells.append({"是": True, "否": False, "false": False, "true": True}.get(row[5]) if row[5] else None)
    cells.append(datetime.fromisoformat(row[6]) if row[6] else None)
    return cells


def write_xlsx(path: Path, rows: list[list[str]] | None = None, *, header: list[str] | None = None,
               typed: bool = True) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER if header is None else header)
    for row in ROWS if rows is None else rows:
        sheet.append(_typed_cells(row) if typed else row)
    book.save(path)
    return path


def write_xls(path: Path, rows: list[list[str]] | None = None, *, header: list[str] | None = None) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("数据")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    time_style = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
    for c, name in enumerate(HEADER if header is None else header):
        sheet.write(0, c, name)
    for r, row in enumerate(ROWS if rows is None else rows, start=1):
        for c, value in enumerate(_typed_cells(row)):
            if value is None:
                continue
            style = (time_style if c == 6 else date_style) if isinstance(value, datetime) else xlwt.Style.default_style
            sheet.write(r, c, value, style)
    book.save(str(path))
    return path


def records(rows: list[list[str]] | None = None) -> list[dict[str, object]]:
    """JSON records: numbers as JSON numbers, booleans as JSON booleans, empty values left out."""
    out = []
    for row in ROWS if rows is None else rows:
        record: dict[str, object] = {}
        for name, value in zip(HEADER, row, strict=True):
            if value == "":
                continue
            if name in ("capital", "employees"):
                record[name] = json.loads(value)
            elif name == "active":
                record[name] = value in ("是", "true")
            else:
                record[name] = value
        out.append(record)
    return out


def write_json(path: Path, rows: list[list[str]] | None = None, *, encoding: str = "utf-8") -> Path:
    return write_text(path, json.dumps(records(rows), ensure_ascii=False, indent=2), encoding)


def write_jsonl(path: Path, rows: list[list[str]] | None = None) -> Path:
    return write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records(rows)))


def write_xml(path: Path, rows: list[list[str]] | None = None, *, encoding: str = "utf-8",
              attributes: bool = False) -> Path:
    lines = [f'<?xml version="1.0" encoding="{encoding.upper()}"?>', "<企业名录>"]
    for row in ROWS if rows is None else rows:
        if attributes:
            attrs = " ".join(f"{n}={quoteattr(v)}" for n, v in zip(HEADER, row, strict=True) if v)
            lines.append(f"  <企业 {attrs}/>")
        else:
            fields = "".join(f"<{n}>{escape(v)}</{n}>" for n, v in zip(HEADER, row, strict=True))
            lines.append(f"  <企业>{fields}</企业>")
    lines.append("</企业名录>")
    return write_text(path, "\n".join(lines) + "\n", encoding)
