"""Streaming XML records with defusedxml (A9.2).

The rows are the child elements of the root (all with the same name); the fields of a row are its child
elements (text) or its attributes. Entity declarations (billion laughs) and references to external resources
(XXE) are refused before anything expands; the parser is fed decoded text in chunks, so memory stays bounded.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Generator
from contextlib import closing
from pathlib import Path
from typing import Any
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces
from xml.sax.xmlreader import AttributesImpl

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from . import errors as m
from .detect import detect_encoding
from .errors import IngestError, RowProblem
from .limits import MAX_FIELD_BYTES, SAMPLE_BYTES
from .staging import ProblemLog
from .text import decode_chunks

Record = tuple[int, dict[str, Any]]
_DECLARATION = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_CHINESE = {"gb2312", "gbk", "cp936", "gb18030", "x-gbk", "euc-cn"}


def xml_encoding(path: Path) -> str:
    """The BOM, else the encoding the XML declaration names (GB2312/GBK read as GB18030), else detection."""
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return detect_encoding(path)
    found = _DECLARATION.match(head)
    if found:
        name = found.group(1).decode("ascii").lower()
        if name in _CHINESE:
            return "gb18030"
        try:
            name = codecs.lookup(name).name
        except LookupError:
            raise IngestError(m.ENCODING_UNKNOWN) from None
        if name in ("utf-8", "gb18030"):
            return name
        if name.startswith("utf-16"):
            return detect_encoding(path)
    return detect_encoding(path)


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


class _Rows(ContentHandler):
    def __init__(self, log: ProblemLog) -> None:
        super().__init__()
        self.log = log
        self.depth = 0
        self.ready: list[Record] = []
        self.row_tag: str | None = None
        self.row: dict[str, Any] | None = None
        self.row_line = 0
        self.field: str | None = None
        self.parts: list[str] = []
        self.size = 0
        self.nested = False
        self.nil = False
        self.locator: Any = None

    def setDocumentLocator(self, locator: Any) -> None:
        self.locator = locator

    def _line(self) -> int:
        return self.locator.getLineNumber() if self.locator is not None else 0

    def _put(self, name: str, value: Any) -> None:
        if self.row is None:
            return
        if name in self.row:
            self.log.add(RowProblem(self.row_line, name, None, m.ROW_REPEATED_FIELD))
        else:
            self.row[name] = value

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        self.depth += 1
        tag = _local(name)
        if self.depth == 2:
            self.row_line = self._line()
            self.row_tag = self.row_tag or tag
            if tag != self.row_tag:
                self.log.add(RowProblem(self.row_line, None, None, m.XML_OTHER_ROW, {"tag": tag, "row": self.row_tag}))
                self.row = None
                return
            self.row = {}
            for key, value in attrs.items():
                if key != "xmlns" and not key.startswith("xmlns:"):
                    self._put(_local(key), value)
        elif self.depth == 3:
            self.field, self.parts, self.size, self.nested = tag, [], 0, False
            self.nil = any(_local(k) == "nil" and v in ("true", "1") for k, v in attrs.items())
        elif self.depth == 4 and self.row is not None and not self.nested:
            self.nested = True
            self.log.add(RowProblem(self._line(), self.field, None, m.XML_TOO_DEEP, {"tag": tag}))

    def characters(self, content: str) -> None:
        if self.depth == 3 and self.row is not None:
            self.size += len(content)
            if self.size <= MAX_FIELD_BYTES:
                self.parts.append(content)

    def endElement(self, name: str) -> None:
        if self.depth == 3 and self.row is not None and self.field is not None:
            value: str | None = None if self.nil or self.nested else "".join(self.parts)
            if self.size > MAX_FIELD_BYTES:
                self.log.add(RowProblem(self._line(), self.field, None, m.VALUE_TOO_LONG,
                                        {"limit": MAX_FIELD_BYTES}))
                value = None
            self._put(self.field, value)
            self.field = None
        elif self.depth == 2 and self.row is not None:
            self.ready.append((self.row_line, self.row))
            self.row = None
        self.depth -= 1


def xml_records(path: Path, log: ProblemLog, on_bytes: Callable[[int], None] | None = None) -> Generator[Record]:
    parser = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.setFeature(feature_namespaces, False)
    rows = _Rows(log)
    parser.setContentHandler(rows)
    rows.setDocumentLocator(parser)  # feed() never calls prepareParser(), which would set it
    try:
        with closing(decode_chunks(path, xml_encoding(path), on_bytes=on_bytes)) as chunks:
            for text in chunks:
                parser.feed(text)
                yield from rows.ready
                rows.ready.clear()
        parser.close()
    except DefusedXmlException:
        raise IngestError(m.XML_ENTITIES, line=parser.getLineNumber()) from None
    except SAXParseException as exc:
        raise IngestError(m.XML_MALFORMED, line=exc.getLineNumber(), column=exc.getColumnNumber(),
                          detail=exc.getMessage()) from None
    yield from rows.ready
