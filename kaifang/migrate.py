"""Running the Alembic migrations from code (CLI, tests, start-up checks)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the models and the migrations disagree (``alembic check``)."""
    command.check(alembic_config(url))


def is_at_head(bind: Engine | Connection) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config(str(bind.engine.url))).get_heads())
    if isinstance(bind, Connection):
        return set(MigrationContext.configure(bind).get_current_heads()) == heads
    with bind.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads
