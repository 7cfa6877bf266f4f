"""Reading published data: one use case per kind of read (A9.2 preview, A19.1/A22.1 data API and lookups,
A16.2 downloads). Each service takes the one access decision, writes the access-log entry (A9.4), runs the read
on the data engine and answers with a typed result, or raises an error of the one family (``DataRefused``
403, ``QueryError`` 400, ``QueryTimeout`` 408, ``UnknownFormat`` 404, ``LookupKeysMissing`` 400). A route
parses its request, calls one of them and renders the answer."""

from kaifang.datastore.lookups import LookupKeysMissing
from kaifang.datastore.reading.aggregate import AggregateAnswer
from kaifang.datastore.reading.download import DOWNLOADS, DownloadFile, UnknownFormat, download_href, read_download
from kaifang.datastore.reading.gate import (
    NO_DATA,
    DataRefused,
    EngineLimits,
    ReadableVersion,
    ReadOutcome,
    open_for_reading,
)
from kaifang.datastore.reading.lookup import LookupAnswer, read_lookup
from kaifang.datastore.reading.preview import ALL_OPERATORS, PreviewAnswer, PreviewRequest, read_preview
from kaifang.datastore.reading.records import RecordsAnswer, read_records

__all__ = [
    "ALL_OPERATORS", "DOWNLOADS", "NO_DATA", "AggregateAnswer", "DataRefused", "DownloadFile", "EngineLimits",
    "LookupAnswer", "LookupKeysMissing", "PreviewAnswer", "PreviewRequest", "ReadOutcome", "ReadableVersion",
    "RecordsAnswer", "UnknownFormat", "download_href", "open_for_reading", "read_download", "read_lookup",
    "read_preview", "read_records",
]
