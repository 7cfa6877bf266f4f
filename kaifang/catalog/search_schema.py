"""The search objects migration 0003 creates outside the models, and keeping them out of ``alembic check``.

SQLite: the FTS5 virtual table ``catalog_search`` (and the shadow tables FTS5 makes for it).
PostgreSQL: the ``catalog_entry.search_vector`` tsvector column and its GIN index.
Neither can be declared in the SQLAlchemy models (a virtual table, a column of one dialect only), so
autogenerate would report them as drift. ``include_name`` tells it to look away.

``kaifang/migrations/env.py`` passes ``include_name`` to Alembic so that autogenerate and ``alembic check``
look away from them.
"""

from __future__ import annotations

from typing import Any

SEARCH_TABLE = "catalog_search"
SEARCH_COLUMN = "search_vector"
SEARCH_INDEX = "ix_catalog_entry_search_vector"
ENTRY_TABLE = "catalog_entry"


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook: False for the search objects of migration 0003."""
    if name is None:
        return True
    if type_ == "table":
        return name != SEARCH_TABLE and not name.startswith(SEARCH_TABLE + "_")
    if type_ == "column":
        return not (name == SEARCH_COLUMN and parent_names.get("table_name") == ENTRY_TABLE)
    if type_ == "index":
        return name != SEARCH_INDEX
    return True
