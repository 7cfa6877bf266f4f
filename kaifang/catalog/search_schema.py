"""The search objects migration 0003 creates outside the models, and keeping them out of ``alembic check``.

SQLite: the FTS5 virtual table ``catalog_search`` (and the shadow tables FTS5 makes for it).
PostgreSQL: the ``catalog_entry.search_vector`` tsvector column and its GIN index.
Neither can be declared in the SQLAlchemy models (a virtual table, a column of one dialect only), so
autogenerate would report them as drift. ``include_name`` tells it to look away.

TODO(lead): the natural home is ``include_name=include_name`` in ``context.configure()`` of
``kaifang/migrations/env.py``; once it is there, delete ``_register`` below. Until then ``_register``
adds the filter through Alembic's documented third-party comparator registry; it runs when the catalog
models are imported, which ``env.py`` does through ``load_all_models()``.
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


def _register() -> None:
    from alembic.autogenerate.compare import comparators
    from alembic.util import DispatchPriority, PriorityDispatchResult

    @comparators.dispatch_for("autogenerate", priority=DispatchPriority.FIRST)
    def _look_away_from_search_objects(autogen_context: Any, _upgrade_ops: Any) -> PriorityDispatchResult:
        filters = autogen_context._name_filters  # the list include_name= would have filled
        if include_name not in filters:
            filters.append(include_name)
        return PriorityDispatchResult.CONTINUE


_register()
