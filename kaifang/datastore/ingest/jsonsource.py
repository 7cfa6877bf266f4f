"""Streaming JSON records: an array of objects, or one object per line (JSON Lines) (A9.2).

The array is read one element at a time with ``JSONDecoder.raw_decode`` over a sliding text buffer, so that a
2 GB array never sits in memory; numbers keep their exact text (no float rounding on the way to Parquet).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from . import errors as m
from .errors import IngestError
from .limits import MAX_RECORD_BYTES
from .text import decode_chunks

Record = tuple[int, dict[str, Any]]
_WS = " \t\r\n"
_COMPACT_AT = 1024 * 1024


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=_refuse_constant)


class _Buffer:
    """Decoded text with a read position, refilled from the file on demand; counts lines as it advances."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = chunks
        self.text = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = next(self.chunks, None)
        if chunk is None:
            self.eof = True
            return False
        if self.pos > _COMPACT_AT:
            self.text = self.text[self.pos:]
            self.pos = 0
        self.text += chunk
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end), without consuming it."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WS:
                if self.text[self.pos] == "\n":
                    self.line += 1
                self.pos += 1
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos:self.pos + 1]

    def advance_to(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def value(self) -> Any:
        last: tuple[int, str] | None = None
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                where = (exc.pos - self.pos, exc.msg)  # relative: more() may compact
                if self.eof or where == last:  # more text did not help: it is malformed
                    raise IngestError(m.JSON_MALFORMED, line=self.line + self.text.count("\n", self.pos, exc.pos),
                                      detail=exc.msg) from None
                if len(self.text) - self.pos > MAX_RECORD_BYTES:
                    raise IngestError(m.JSON_RECORD_TOO_LONG, line=self.line, limit=MAX_RECORD_BYTES) from None
                last = where
                self.more()
                continue
            except (ValueError, RecursionError) as exc:
                detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                raise IngestError(m.JSON_MALFORMED, line=self.line, detail=detail) from None
            self.advance_to(end)
            return obj


def json_array_records(path: Path, encoding: str, on_bytes: Callable[[int], None] | None = None) -> Generator[Record]:
    with closing(decode_chunks(path, encoding, on_bytes=on_bytes)) as chunks:
        buf = _Buffer(chunks)
        first = buf.peek()
        if not first:
            raise IngestError(m.FILE_EMPTY)
        if first != "[":
            raise IngestError(m.JSON_NOT_RECORDS, line=buf.line)
        buf.pos += 1
        if buf.peek() == "]":
            buf.pos += 1
        else:
            while True:
                buf.peek()
                line = buf.line
                obj = buf.value()
                if not isinstance(obj, dict):
                    raise IngestError(m.JSON_NOT_RECORDS, line=line)
                yield line, obj
                sep = buf.peek()
                buf.pos += 1
                if sep == "]":
                    break
                if sep != ",":
                    raise IngestError(m.JSON_MALFORMED, line=buf.line,
                                      detail="expected ',' or ']' after an element" if sep else "unexpected end")
        if buf.peek():
            raise IngestError(m.JSON_MALFORMED, line=buf.line, detail="extra data after the array")


def json_lines_records(path: Path, encoding: str, on_bytes: Callable[[int], None] | None = None) -> Generator[Record]:
    line = 0
    rest = ""
    seen = False
    with closing(decode_chunks(path, encoding, on_bytes=on_bytes)) as chunks:
        for chunk in chunks:
            lines = (rest + chunk).split("\n")
            rest = lines.pop()
            if len(rest) > MAX_RECORD_BYTES:
                raise IngestError(m.JSON_RECORD_TOO_LONG, line=line + len(lines) + 1, limit=MAX_RECORD_BYTES)
            for text in lines:
                line += 1
                record = _line_record(text, line)
                if record is not None:
                    seen = True
                    yield line, record
    record = _line_record(rest, line + 1)
    if record is not None:
        yield line + 1, record
    elif not seen:
        raise IngestError(m.FILE_EMPTY)


def _line_record(text: str, line: int) -> dict[str, Any] | None:
    if not text.strip():
        return None
    if len(text) > MAX_RECORD_BYTES:
        raise IngestError(m.JSON_RECORD_TOO_LONG, line=line, limit=MAX_RECORD_BYTES)
    try:
        obj = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) and text.lstrip()[:1] in "{[":
            # The value goes on past the end of its line: an object spread over lines, not JSON Lines.
            raise IngestError(m.JSON_NOT_RECORDS, line=line) from None
        raise IngestError(m.JSON_MALFORMED, line=line, detail=exc.msg) from None
    except (ValueError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise IngestError(m.JSON_MALFORMED, line=line, detail=detail) from None
    if not isinstance(obj, dict):
        raise IngestError(m.JSON_NOT_RECORDS, line=line)
    return obj
