"""The data engine: previews (A9.2), the data API (A19.1, A22.1) and downloads (A16.2) over published Parquet.

Every entry point takes the reader's ``Projection`` (from the platform's one access decision) and applies it
before anything the reader asks for.
"""

from .errors import QueryError, QueryTimeout
from .export import FORMATS, ExportFormat, cached_export, content_disposition, export_file, iter_file
from .filters import Filter
from .parse import Aggregate, RecordQuery, SortKey, build_query, parse_query
from .projection import Projection, ProjectionError
from .query import AggregateResult, RecordsPage, preview, run_aggregate, run_records, token_at

__all__ = [
    "FORMATS", "Aggregate", "AggregateResult", "ExportFormat", "Filter", "Projection", "ProjectionError",
    "QueryError", "QueryTimeout", "RecordQuery", "RecordsPage", "SortKey", "build_query", "cached_export",
    "content_disposition", "export_file", "iter_file", "parse_query", "preview", "run_aggregate", "run_records",
    "token_at",
]
