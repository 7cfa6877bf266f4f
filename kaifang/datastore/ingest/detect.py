"""What an uploaded file is: its format, its text encoding, its delimiter and whether it has a header (A9.2)."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

from .errors import ENCODING_UNKNOWN, FORMAT_BINARY, FORMAT_MISMATCH, FORMAT_UNKNOWN, IngestError
from .limits import SAMPLE_BYTES
from .text import read_text_head

FORMATS = ("csv", "tsv", "xlsx", "xls", "json", "jsonl", "xml")
_BY_EXTENSION = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
                 ".xls": "xls", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xml": "xml"}
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Binary formats people upload by mistake, named in the message.
_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"), (b"Rar!", "a RAR archive"),
          (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x7fELF", "a program"), (b"MZ", "a program"),
          (b"PAR1", "a Parquet file"), (b"SQLite format 3\x00", "an SQLite database"), (b"BM", "a BMP image"))
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def detect_format(path: Path, filename: str) -> str:
    """One of FORMATS, from the extension and the first bytes; binary junk raises IngestError."""
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    ext = Path(filename).suffix.lower()
    claimed = _BY_EXTENSION.get(ext)
    if head.startswith(_ZIP):
        if claimed in ("xlsx", "xls", None) or _is_workbook(path):
            return "xlsx"
        raise IngestError(FORMAT_MISMATCH, filename=filename, claimed=ext, actual="a ZIP archive")
    if head.startswith(_OLE2):
        return "xls"
    for magic, kind in _MAGIC:
        if head.startswith(magic) and not _is_text(head):
            raise IngestError(FORMAT_BINARY, filename=filename, kind=kind)
    if not _is_text(head):
        raise IngestError(FORMAT_BINARY, filename=filename, kind="unknown binary data")
    if claimed in ("xlsx", "xls"):
        raise IngestError(FORMAT_MISMATCH, filename=filename, claimed=ext, actual="text, not an Excel workbook")
    first = _first_char(head)
    if claimed == "json":
        return "jsonl" if first == "{" else "json"
    if claimed is not None:
        return claimed
    if ext:
        raise IngestError(FORMAT_UNKNOWN, filename=filename)
    return {"<": "xml", "[": "json", "{": "jsonl"}.get(first, "csv")  # no extension: judge by the content


def detect_encoding(path: Path) -> str:
    """``utf-8-sig``, ``utf-16-le``/``-be`` (with or without BOM), ``utf-8`` or ``gb18030`` (which covers GBK).

    Without a BOM the first SAMPLE_BYTES are tried as strict UTF-8, then GB18030. A file whose sample is
    valid UTF-8 but whose later bytes are not is caught later, when the whole file is read.
    """
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    for name in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(name)("strict").decode(head, final=len(head) < SAMPLE_BYTES)
        except UnicodeDecodeError:
            continue
        return name
    raise IngestError(ENCODING_UNKNOWN)


def sample_is_ascii(path: Path) -> bool:
    """Whether the detection sample held only ASCII, so that "UTF-8" was a default rather than a finding."""
    with path.open("rb") as f:
        return f.read(SAMPLE_BYTES).isascii()


def sniff_csv(path: Path, encoding: str) -> tuple[str, bool]:
    """(delimiter, has_header): the delimiter among , TAB ; | that splits the first lines most consistently,
    and whether the first line looks like a header (distinct, non-empty names that are not numbers or dates)."""
    text = read_text_head(path, encoding, SAMPLE_BYTES)
    lines = text.splitlines()
    if len(lines) > 1 and len(text.encode("utf-8")) >= SAMPLE_BYTES:
        lines = lines[:-1]  # the last one may be cut
    lines = [line for line in lines if line.strip()][:50]
    if not lines:
        return ",", False
    best, best_score = ",", 0.0
    for delimiter in (",", "\t", ";", "|"):
        counts = Counter(len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        width, hits = counts.most_common(1)[0]
        score = (width if width > 1 else 0) * hits / sum(counts.values())
        if score > best_score:
            best, best_score = delimiter, score
    first = next(csv.reader(io.StringIO(lines[0]), delimiter=best), [])
    return best, looks_like_header(first)


_VALUE = re.compile(r"^\s*([+-]?[\d.,]+%?|\d{4}[-/年]\d{1,2}([-/月]\d{1,2}日?)?.*|true|false|是|否)\s*$", re.I)


def looks_like_header(cells: list[str]) -> bool:
    names = [c.strip() for c in cells]
    return bool(names) and all(names) and len(set(names)) == len(names) and not any(_VALUE.match(n) for n in names)


def _is_text(head: bytes) -> bool:
    if any(head.startswith(bom) for bom, _ in _BOMS[1:]) or _utf16_without_bom(head):
        return True
    return len(_CONTROL.findall(head)) <= len(head) // 1000  # a stray control character is not binary data


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without BOM shows zero bytes (the high bytes of ASCII delimiters and digits) mostly at one
    parity; it must decode, and the text must hold no control characters."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    for zeros, others, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros > half * 0.02 and zeros >= 2 * others:
            try:
                text = codecs.getincrementaldecoder(name)("strict").decode(sample, final=False)
            except UnicodeDecodeError:
                return None
            controls = sum(1 for c in text if c < " " and c not in "\t\r\n")
            return name if controls <= len(text) // 1000 else None
    return None


def _first_char(head: bytes) -> str:
    for bom, name in _BOMS:
        if head.startswith(bom):
            text = head[len(bom):].decode(name.replace("-sig", ""), "replace")
            break
    else:
        text = head.decode(_utf16_without_bom(head) or "utf-8", "replace")
    stripped = text.lstrip()
    return stripped[:1]


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
