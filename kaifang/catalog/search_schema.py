"""The search objects migrations 0003 and 0004 create outside the models, and keeping them out of ``alembic check``.

SQLite: the FTS5 virtual table ``catalog_search`` (and the shadow tables FTS5 makes for it).
PostgreSQL: the ``catalog_entry.search_vector`` tsvector column and its GIN index; the ``search_tags`` and
``search_formats`` text[] columns (the facet values of each indexed entry).
Neither can be declared in the SQLAlchemy models (a virtual table, a column of one dialect only), so
autogenerate would report them as drift. ``include_name`` tells it to look away.

``kaifang/migrations/env.py`` passes ``include_name`` to Alembic so that autogenerate and ``alembic check``
look away from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SEARCH_TABLE = "catalog_search"
SEARCH_COLUMNS = frozenset({"search_vector", "search_tags", "search_formats"})
SEARCH_INDEX = "ix_catalog_entry_search_vector"
ENTRY_TABLE = "catalog_entry"


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic ``include_name`` hook: False for the search objects of migrations 0003 and 0004."""
    if name is None:
        return True
    if type_ == "table":
        return name != SEARCH_TABLE and not name.startswith(SEARCH_TABLE + "_")
    if type_ == "column":
        return not (name in SEARCH_COLUMNS and parent_names.get("table_name") == ENTRY_TABLE)
    if type_ == "index":
        return name != SEARCH_INDEX
    return True
