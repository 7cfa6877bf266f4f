"""Reading the first worksheet of XLSX (openpyxl, read-only streaming) and XLS (xlrd) workbooks (A9.2)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import openpyxl
import xlrd

from . import errors as m
from .errors import IngestError
from .limits import MAX_UNPACKED_WORKBOOK

Row = tuple[int, tuple[Any, ...] | list[Any]]


def _invalid(filename: str, exc: BaseException) -> IngestError:
    detail = f"{type(exc).__name__}: {exc}"[:200]
    return IngestError(m.WORKBOOK_INVALID, filename=filename, detail=detail)


def _check_zip(path: Path, filename: str) -> None:
    """Refuse archives that are not workbooks, or that unpack to more than the limit (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError) as exc:
        raise _invalid(filename, exc) from None
    if "xl/workbook.xml" not in names:
        raise IngestError(m.WORKBOOK_INVALID, filename=filename, detail="the archive has no xl/workbook.xml")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED_WORKBOOK:
        raise IngestError(m.WORKBOOK_BOMB, size=unpacked, limit=MAX_UNPACKED_WORKBOOK)


def xlsx_rows(path: Path, filename: str, on_fraction: Callable[[float], None] | None = None) -> Generator[Row]:
    """(row number, values) for each row of the first worksheet, streamed. Formulas give their cached values.

    openpyxl parses the workbook's XML with defusedxml, so entity tricks inside a workbook are refused too."""
    _check_zip(path, filename)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any parser failure on an untrusted file means it is not a workbook
        raise _invalid(filename, exc) from None
    try:
        if not book.worksheets:
            raise IngestError(m.WORKBOOK_NO_SHEET, filename=filename)
        sheet = book.worksheets[0]
        declared = getattr(sheet, "max_row", None) or 0  # only for progress: the stored dimension can be wrong
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # read every row, whatever dimension the file claims
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except Exception as exc:
                raise _invalid(filename, exc) from None
            number += 1
            yield number, values
            if on_fraction is not None and declared and number % 2000 == 0:
                on_fraction(min(number / declared, 0.99))
    finally:
        book.close()


def xls_rows(path: Path, filename: str, on_fraction: Callable[[float], None] | None = None) -> Generator[Row]:
    """(row number, values) for each row of the first sheet of an Excel 97-2003 workbook."""
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:
        raise _invalid(filename, exc) from None
    try:
        if book.nsheets == 0:
            raise IngestError(m.WORKBOOK_NO_SHEET, filename=filename)
        try:
            sheet = book.sheet_by_index(0)
        except Exception as exc:
            raise _invalid(filename, exc) from None
        for r in range(sheet.nrows):
            yield r + 1, [_xls_value(cell, book.datemode) for cell in sheet.row(r)]
            if on_fraction is not None and r % 2000 == 0:
                on_fraction(r / max(sheet.nrows, 1))
    finally:
        book.release_resources()


def _xls_value(cell: xlrd.sheet.Cell, datemode: int) -> Any:
    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return cell.value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value
