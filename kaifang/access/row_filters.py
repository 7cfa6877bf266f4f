"""The rows a grant covers (A20.3): a condition in the data API's filter syntax (``district=昆山市&employees__gte=10``),
checked and typed against the dataset's data items by the data engine's own parser.

The one module of access that reads the data engine's query language."""

from __future__ import annotations

from urllib.parse import parse_qsl

from kaifang.datastore.engine import Filter, Projection, parse_query
from kaifang.datastore.schema import TableSchema
from kaifang.errors import QueryError


def clean_row_filter(text: str) -> str:
    """The condition as stored: without blanks around it and without a leading ``?``."""
    return text.strip().lstrip("?")


def row_filters_of(text: str, schema: TableSchema) -> tuple[Filter, ...]:
    """The condition ``text`` as the data engine's filters. Raises ``QueryError`` naming the parameter at fault."""
    pairs = parse_qsl(clean_row_filter(text), keep_blank_values=True)
    bad = next((k for k, _ in pairs if k.startswith("_")), None)
    if bad is not None:
        raise QueryError("Unknown parameter: %(param)s", bad, param=bad)
    return tuple(parse_query(pairs, schema, Projection()).filters) if pairs else ()
