"""Database engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeGuard

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from kaifang import clock

# The execution option that makes a SQLite transaction begin with BEGIN IMMEDIATE (decisions/0008).
WRITE = "kaifang_write"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes, stored naive-UTC so SQLite and PostgreSQL agree to the microsecond."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current instant in UTC, from the platform's clock (kaifang/clock.py: tests freeze and move it)."""
    return clock.now()


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    # WAL for concurrent readers, foreign keys on, and SQLAlchemy (not pysqlite) in charge of
    # transactions so that SAVEPOINTs work (documented pysqlite workaround).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred BEGIN lets readers run side by side. A transaction that will write begins IMMEDIATE: it
        # takes the writer lock (waiting up to the busy timeout) before it reads anything, because a deferred
        # transaction that read and then writes fails at once if another connection committed in between
        # (SQLITE_BUSY_SNAPSHOT, "database is locked"; the busy timeout does not help). decisions/0008.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def _owns_sqlite_transactions(bind: Any) -> TypeGuard[Engine]:
    # Only a session bound to an engine begins its own transactions. One bound to a caller's connection (the
    # tests' rolled-back connection) joins the caller's transaction, which has begun already.
    return isinstance(bind, Engine) and bind.dialect.name == "sqlite"


def write_sessions(factory: sessionmaker[Session]) -> Callable[[], Session]:
    """Sessions for work that writes outside services (jobs): on SQLite every transaction they begin is
    ``BEGIN IMMEDIATE``, so keep each one short. PostgreSQL, or a session joined to a caller's connection:
    ``factory`` itself."""
    bind = factory.kw.get("bind")
    if not _owns_sqlite_transactions(bind):
        return factory
    return functools.partial(factory, bind=bind.execution_options(**{WRITE: True}))


def begin_write(session: Session) -> None:
    """Start a unit of work that will write, in a session whose transactions begin deferred (a request, the
    command line): on SQLite, end the transaction that has only read so far and begin the next one with
    ``BEGIN IMMEDIATE``. Objects already loaded stay usable (the platform's sessions do not expire on commit).

    ``atomic()`` calls it when the outermost service starts, so the reads a route made before calling a service
    never have to become a write transaction. Nothing to do on PostgreSQL, in a write session, or in a session
    joined to a caller's connection."""
    bind = session.get_bind()
    if not _owns_sqlite_transactions(bind) or bind.get_execution_options().get(WRITE):
        return
    if session.in_transaction():
        if session.connection().get_execution_options().get(WRITE):
            return
        session.commit()
    session.connection(execution_options={WRITE: True})
