"""The documented limits of ingest (A9.2). A file that passes one of them is refused with a message naming it."""

from __future__ import annotations

DEFAULT_MAX_BYTES = 2 * 1024**3  # an uploaded file, before reading (configurable per call)
MAX_FIELD_BYTES = 1024**2  # one value (cell), in UTF-8 bytes
MAX_LINE_BYTES = 4 * 1024**2  # one line of a CSV/TSV file, in UTF-8 bytes
MAX_RECORD_BYTES = 16 * 1024**2  # one JSON record
MAX_HEADER_BYTES = 256 * 1024  # the header line
MAX_UNPACKED_WORKBOOK = 8 * 1024**3  # an XLSX file, unpacked
SAMPLE_BYTES = 64 * 1024  # what detection looks at
CHUNK_BYTES = 4 * 1024**2  # streamed reads and transcoding
PREVIEW_ROWS = 20
