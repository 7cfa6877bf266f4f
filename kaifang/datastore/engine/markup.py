"""XML and XLSX downloads (A16.2), streamed with bounded memory.

DuckDB renders each row's markup in SQL (escaping included), so Python only copies finished text from
Arrow batches to the file: no per-cell Python work. openpyxl's write-only mode was measured here at
~2,400 rows/s (7 minutes for 1M rows), so XLSX is written directly as SpreadsheetML with inline strings.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import IO, Any, Literal
from xml.sax.saxutils import escape

import duckdb

from kaifang.datastore.schema import FIELD_NAME, FieldSpec, FieldType

from .filters import quote_ident

# Rows per Arrow batch of markup: 5,000 keeps an XLSX download of 1M rows ~30 MB smaller than 20,000 did
# (bench/), for ~5 % more time.
BATCH_ROWS = 5_000
XLSX_MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header row included
XLSX_MAX_CHARS = 32_767  # Excel's characters per cell
_MAX_EXACT_INT = 2**53  # Excel numbers are doubles: larger integers go in as text
_CONTROL = r"'[\x00-\x08\x0B\x0C\x0E-\x1F]'"  # not allowed in XML 1.0


def text_sql(expr: str) -> str:
    """SQL escaping a VARCHAR for XML character data (control characters dropped, CR kept as a reference)."""
    cleaned = f"regexp_replace({expr}, {_CONTROL}, '', 'g')"
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        cleaned = f"replace({cleaned}, {_literal(old)}, '{new}')"
    return cleaned


def _literal(text: str) -> str:
    return "chr(13)" if text == "\r" else "'" + text.replace("'", "''") + "'"


def xml_value_sql(spec: FieldSpec) -> str:
    """The XML text of a column's value: ISO dates and times, ``true``/``false``, shortest decimals."""
    col = quote_ident(spec.name)
    if spec.type is FieldType.STRING:
        return text_sql(col)
    if spec.type is FieldType.DATETIME:
        return f"replace(CAST({col} AS VARCHAR), ' ', 'T')"
    return f"CAST({col} AS VARCHAR)"


def xml_row_sql(fields: list[FieldSpec]) -> str:
    """One ``<row>...</row>`` line per row; a NULL value leaves its element out."""
    for f in fields:
        if not FIELD_NAME.match(f.name):  # element names are field names: they must be XML names
            raise ValueError(f"Field name {f.name!r} cannot be an XML element name")
    cells = [f"coalesce({_literal(f'<{f.name}>')} || {xml_value_sql(f)} || {_literal(f'</{f.name}>')}, '')"
             for f in fields]
    return "concat('<row>', " + ", ".join(cells) + ", '</row>', chr(10))"


def xlsx_row_sql(fields: list[FieldSpec]) -> str:
    """One SpreadsheetML ``<row>`` per row. Dates and times are serial numbers with a date style, so Excel
    sorts and filters them as dates; NULL is an empty cell."""
    cells = [f"coalesce({_xlsx_cell(f)}, '<c/>')" for f in fields]
    return "concat('<row>', " + ", ".join(cells) + ", '</row>')"


def _inline(text_expr: str) -> str:
    return f"""'<c t="inlineStr"><is><t xml:space="preserve">' || {text_expr} || '</t></is></c>'"""


def _xlsx_cell(spec: FieldSpec) -> str:
    col = quote_ident(spec.name)
    if spec.type is FieldType.STRING:
        return _inline(text_sql(f"left({col}, {XLSX_MAX_CHARS})"))
    if spec.type is FieldType.BOOLEAN:
        return f"""'<c t="b"><v>' || CASE WHEN {col} THEN '1' WHEN NOT {col} THEN '0' END || '</v></c>'"""
    if spec.type is FieldType.INTEGER:
        return (f"CASE WHEN abs({col}) < {_MAX_EXACT_INT} THEN '<c><v>' || {col} || '</v></c>' "
                f"ELSE {_inline(f'CAST({col} AS VARCHAR)')} END")
    if spec.type is FieldType.DECIMAL:
        return (f"CASE WHEN isfinite({col}) THEN '<c><v>' || CAST({col} AS VARCHAR) || '</v></c>' "
                f"ELSE {_inline(f'CAST({col} AS VARCHAR)')} END")
    # Excel's serial day 1 is 1900-01-01 and it wrongly counts a 29 February 1900: earlier dates go in as text.
    if spec.type is FieldType.DATE:
        return (f"""CASE WHEN {col} >= DATE '1900-03-01' THEN '<c s="1"><v>' || ({col} - DATE '1899-12-30') """
                f"""|| '</v></c>' ELSE {_inline(f'CAST({col} AS VARCHAR)')} END""")
    serial = f"(epoch_us({col}) / 86400000000.0 + 25569)"
    return (f"""CASE WHEN {col} >= TIMESTAMP '1900-03-01' THEN '<c s="2"><v>' || {serial} || '</v></c>' """
            f"ELSE {_inline(f'CAST({col} AS VARCHAR)')} END")


def iter_text(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Iterator[tuple[memoryview, int]]:
    """The single VARCHAR column of ``sql`` as (UTF-8 bytes of a batch, number of rows), zero-copy from Arrow."""
    reader = con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        arr = batch.column(0)
        if len(arr) == 0:
            continue
        if arr.null_count:
            raise ValueError("Row markup must not be NULL")
        width: Literal["q", "i"] = "q" if str(arr.type) == "large_string" else "i"
        offsets = memoryview(arr.buffers()[1]).cast("B").cast(width)
        start, end = offsets[arr.offset], offsets[arr.offset + len(arr)]
        yield memoryview(arr.buffers()[2])[start:end], len(arr)


def write_xml(out: IO[bytes], batches: Iterator[tuple[memoryview, int]]) -> None:
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<rows>\n')
    for chunk, _ in batches:
        out.write(chunk)
    out.write(b"</rows>\n")


_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{_MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>\
<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><fonts count="1"><font><sz val="11"/>\
<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>\
<patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1">\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3">\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""


def sheet_names(data_sheets: int) -> list[str]:
    return ["数据", *(f"数据 ({i})" for i in range(2, data_sheets + 1)), "数据项"]


def write_xlsx(path: str, fields: list[FieldSpec], rows: int, batches: Iterator[tuple[memoryview, int]]) -> None:
    """An .xlsx of ``rows`` data rows (header = field names, to round-trip), continued on further sheets past
    Excel's limit, with a last sheet "数据项" listing each field's Chinese title, type and unit."""
    per_sheet = XLSX_MAX_ROWS - 1
    data_sheets = max(1, -(-rows // per_sheet))
    names = sheet_names(data_sheets)
    header = _plain_row([f.name for f in fields])
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        _write_package_parts(zf, names)
        sheet, in_sheet = 0, per_sheet
        out: IO[bytes] | None = None

        def next_sheet() -> IO[bytes]:
            nonlocal sheet, in_sheet
            if out is not None:
                out.write(_SHEET_TAIL)
                out.close()
            sheet, in_sheet = sheet + 1, 0
            stream = zf.open(f"xl/worksheets/sheet{sheet}.xml", "w", force_zip64=True)
            stream.write(_SHEET_HEAD + header)
            return stream

        for chunk, rows_in_chunk in batches:
            data: memoryview | bytes = chunk
            count = rows_in_chunk
            while count:
                if in_sheet == per_sheet:
                    out = next_sheet()
                room = per_sheet - in_sheet
                if count <= room:
                    out.write(data)  # type: ignore[union-attr]
                    in_sheet += count
                    break
                # The batch crosses a sheet boundary (once per 1,048,575 rows): split it after `room` rows.
                data = bytes(data)
                cut = 0
                for _ in range(room):
                    cut = data.index(b"</row>", cut) + len(b"</row>")
                out.write(data[:cut])  # type: ignore[union-attr]
                data, count, in_sheet = data[cut:], count - room, per_sheet
        if out is None:
            out = next_sheet()
        out.write(_SHEET_TAIL)
        out.close()
        if sheet != data_sheets:
            raise RuntimeError(f"Expected {data_sheets} data sheets, wrote {sheet}")
        legend = [_plain_row(["name", "title", "type", "unit", "description"])]
        legend += [_plain_row([f.name, f.title, f.type.value, f.unit, f.description]) for f in fields]
        zf.writestr(f"xl/worksheets/sheet{data_sheets + 1}.xml", _SHEET_HEAD + b"".join(legend) + _SHEET_TAIL)


def _plain_row(values: list[str]) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>' for v in values)
    return f"<row>{cells}</row>".encode()


def _write_package_parts(zf: zipfile.ZipFile, names: list[str]) -> None:
    sheets = range(1, len(names) + 1)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in sheets)
    zf.writestr("[Content_Types].xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>"))
    zf.writestr("_rels/.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
    sheet_list = "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, n in zip(sheets, names, strict=True))
    zf.writestr("xl/workbook.xml", (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f"<sheets>{sheet_list}</sheets></workbook>"))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in sheets)
    zf.writestr("xl/_rels/workbook.xml.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{rels}<Relationship Id="rId{len(names) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'))
    zf.writestr("xl/styles.xml", _STYLES)
