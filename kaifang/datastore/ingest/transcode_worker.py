"""Transcoding one byte range of a file to UTF-8, strictly: in the ingest process, or as a helper process.

Standard library only: ``text.transcode_to_utf8`` runs this file as a script (``python -I -S thisfile ...``)
for the second half of a large GB18030 file while it decodes the first half itself, so that both cores work
(CPython's CJK codecs hold the GIL, so threads would not help). Run as a script it prints one JSON line.
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Callable

CHUNK = 4 * 1024 * 1024


class DecodeFailure(Exception):
    """Bytes at ``offset`` (from the start of the file) are not valid; ``newlines`` precede them in the range."""

    def __init__(self, offset: int, newlines: int) -> None:
        super().__init__(offset, newlines)
        self.offset = offset
        self.newlines = newlines


def transcode_range(src: str, dst: str, start: int, end: int, encoding: str,
                    on_bytes: Callable[[int], None] | None = None) -> int:
    """Decode bytes [start, end) of ``src`` and write them as UTF-8 to ``dst``; returns the newlines seen.

    ``start`` must not fall inside a character. A leading BOM is the caller's business (skip it in ``start``).
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, newlines = start, 0
    with open(src, "rb") as f, open(dst, "wb") as out:
        f.seek(start)
        while True:
            data = f.read(min(CHUNK, end - offset)) if offset < end else b""
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                before = bytes(exc.object[:exc.start]).decode(encoding, "replace")
                raise DecodeFailure(offset - pending + exc.start, newlines + before.count("\n")) from None
            offset += len(data)
            newlines += text.count("\n")
            out.write(text.encode("utf-8"))
            if on_bytes is not None:
                on_bytes(offset)
            if not data:
                return newlines


def _main(argv: list[str]) -> int:
    src, dst, start, end, encoding = argv[0], argv[1], int(argv[2]), int(argv[3]), argv[4]
    try:
        newlines = transcode_range(src, dst, start, end, encoding)
    except DecodeFailure as failure:
        print(json.dumps({"offset": failure.offset, "newlines": failure.newlines}))
        return 0
    print(json.dumps({"newlines": newlines}))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
