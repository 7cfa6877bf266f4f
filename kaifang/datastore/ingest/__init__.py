"""Ingest of tabular files into immutable Parquet versions (A9.2), and what it detects on the way.

Public API: ``ingest_file`` (→ ``IngestResult``), ``preview_rows`` / ``read_header`` (→ ``Preview``),
``detect_format``, ``detect_encoding``, ``sniff_csv``, the errors ``IngestError`` / ``IngestRejected`` /
``RowProblem`` and ``ALL_MSGIDS`` (every message, for the translators), the limits, ``remove_stale_work``.
"""

from .detect import FORMATS, detect_encoding, detect_format, sniff_csv
from .errors import ALL_MSGIDS, IngestError, IngestRejected, RowProblem
from .limits import DEFAULT_MAX_BYTES, MAX_FIELD_BYTES, MAX_LINE_BYTES, MAX_RECORD_BYTES
from .pipeline import IngestResult, ingest_file, remove_stale_work
from .preview import Preview, preview_rows, read_header

__all__ = [
    "ALL_MSGIDS", "DEFAULT_MAX_BYTES", "FORMATS", "MAX_FIELD_BYTES", "MAX_LINE_BYTES", "MAX_RECORD_BYTES",
    "IngestError", "IngestRejected", "IngestResult", "Preview", "RowProblem", "detect_encoding", "detect_format",
    "ingest_file", "preview_rows", "read_header", "remove_stale_work", "sniff_csv",
]
