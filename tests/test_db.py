"""SQLite write transactions (decisions/0008): a deferred transaction that has read and then writes fails at once
when another connection committed in between ("database is locked", whatever the busy timeout); write sessions and
``begin_write`` begin IMMEDIATE instead, and wait for the writer lock. Each test uses its own SQLite file (WAL, as
in the embedded shape), whatever database the rest of the suite runs on."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from kaifang.db import begin_write, make_engine, make_sessionmaker, write_sessions
from kaifang.security import atomic
from kaifang.tasks import JobContext


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "platform.db"


@pytest.fixture
def engine(db_file: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{db_file}")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    yield eng
    eng.dispose()


@pytest.fixture
def begins(engine: Engine) -> list[str]:
    """The BEGIN statements the engine issues, in order."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    return seen


def writer_lock_is_free(db_file: Path) -> bool:
    """Asks another connection, without waiting, for the writer lock."""
    other = sqlite3.connect(db_file, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "database is locked" in str(exc)
        return False
    finally:
        other.close()


def bump_elsewhere(db_file: Path) -> None:
    other = sqlite3.connect(db_file, isolation_level=None)
    other.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
    other.close()


def test_a_deferred_transaction_that_read_cannot_write_after_another_commit(engine: Engine, db_file: Path) -> None:
    """The bug, without threads: the busy timeout (30 s) is not waited out; the write fails at once."""
    with make_sessionmaker(engine)() as session:
        assert session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one() == 0
        bump_elsewhere(db_file)
        with pytest.raises(OperationalError, match="database is locked"):
            session.execute(text("UPDATE counter SET n = n + 10 WHERE id = 1"))


def test_the_begin_event_sees_the_write_option_of_a_write_session(engine: Engine, db_file: Path,
                                                                  begins: list[str]) -> None:
    factory = make_sessionmaker(engine)
    with factory() as reader:
        reader.execute(text("SELECT n FROM counter"))
        assert begins == ["BEGIN"] and writer_lock_is_free(db_file)  # readers never serialise
    with write_sessions(factory)() as writer:
        writer.execute(text("SELECT n FROM counter"))
        assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
        assert not writer_lock_is_free(db_file)  # taken before the first read
        writer.commit()
        assert writer_lock_is_free(db_file)
        writer.execute(text("SELECT n FROM counter"))  # every transaction of a write session
        assert begins[-1] == "BEGIN IMMEDIATE"


def test_begin_write_ends_the_reads_and_the_write_then_succeeds(engine: Engine, db_file: Path,
                                                                begins: list[str]) -> None:
    with make_sessionmaker(engine)() as session:
        assert session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one() == 0
        bump_elsewhere(db_file)
        begin_write(session)
        assert begins == ["BEGIN", "BEGIN IMMEDIATE"] and not writer_lock_is_free(db_file)
        session.execute(text("UPDATE counter SET n = n + 10 WHERE id = 1"))
        session.commit()
        assert session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one() == 11


def test_the_outermost_service_runs_in_a_write_transaction_of_its_own(engine: Engine, db_file: Path,
                                                                      begins: list[str]) -> None:
    with make_sessionmaker(engine)() as session:
        session.execute(text("SELECT n FROM counter"))  # a route's reads before it calls a service
        bump_elsewhere(db_file)
        with atomic(session):
            assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
            session.execute(text("UPDATE counter SET n = n + 10 WHERE id = 1"))
            with atomic(session):  # a nested service joins the unit of work: no new transaction
                session.execute(text("UPDATE counter SET n = n + 100 WHERE id = 1"))
            assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
        assert writer_lock_is_free(db_file)
        assert session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one() == 111


def test_a_write_session_waits_for_the_writer_lock_within_the_busy_timeout(engine: Engine, db_file: Path) -> None:
    holder = sqlite3.connect(db_file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    started = time.monotonic()
    release.start()
    with write_sessions(make_sessionmaker(engine))() as writer:
        # Waits (busy timeout) for the other writer, then reads what it committed: no stale snapshot to write on.
        assert writer.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one() == 1
        assert time.monotonic() - started >= 0.4
        writer.execute(text("UPDATE counter SET n = n + 10 WHERE id = 1"))
        writer.commit()
    release.join()
    holder.close()


def test_jobs_get_write_sessions_and_a_read_session_for_long_reads(engine: Engine, db_file: Path,
                                                                   begins: list[str]) -> None:
    factory = make_sessionmaker(engine)
    ctx = JobContext(write_sessions(factory), settings=None, read_sessions=factory)  # type: ignore[arg-type]
    with ctx.read_session() as session:
        session.execute(text("SELECT n FROM counter"))
        assert writer_lock_is_free(db_file)
    with ctx.sessions() as session:
        session.execute(text("SELECT n FROM counter"))
        assert not writer_lock_is_free(db_file)
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]


def test_postgresql_and_joined_sessions_are_left_as_they_were(engine: Engine) -> None:
    pg = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")  # never connects
    pg_factory = make_sessionmaker(pg)
    assert write_sessions(pg_factory) is pg_factory
    begin_write(pg_factory())  # nothing to do, no connection made
    assert pg.pool.checkedout() == 0
    pg.dispose()
    with engine.connect() as conn:  # the tests' shape: sessions joined to one outer transaction
        joined = sessionmaker(bind=conn, join_transaction_mode="create_savepoint")
        assert write_sessions(joined) is joined
