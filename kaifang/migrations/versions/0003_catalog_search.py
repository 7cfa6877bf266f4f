"""Catalog search (A9.2 目录检索): the FTS5 table on SQLite, the tsvector column on PostgreSQL.

Both hold jieba search-mode tokens joined by spaces (kaifang/catalog/search.py). They live outside the
models, and kaifang/catalog/search_schema.py keeps them out of ``alembic check``.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE VIRTUAL TABLE catalog_search USING fts5("
                   "entry_id UNINDEXED, title, body, tokenize='unicode61')")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE catalog_entry ADD COLUMN search_vector tsvector")
        op.execute("CREATE INDEX ix_catalog_entry_search_vector ON catalog_entry USING gin (search_vector)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS catalog_search")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_catalog_entry_search_vector")
        op.execute("ALTER TABLE catalog_entry DROP COLUMN IF EXISTS search_vector")
