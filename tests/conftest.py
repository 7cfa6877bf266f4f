"""Shared fixtures: a real database (SQLite by default, PostgreSQL when KAIFANG_TEST_DATABASE_URL says so),
the schema built by the real migrations, each test inside a transaction rolled back at its end, a real
SMTP server on loopback, the app over HTTP, and the platform clock stopped on demand (``clock``).
The personas are in tests/personas.py, the helpers for side effects in tests/helpers.py."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from kaifang import clock as platform_clock
from kaifang import migrate
from kaifang.app import create_app
from kaifang.config import Settings
from kaifang.db import make_engine
from kaifang.tasks import JobQueue
from tests.helpers import Clock, Mailbox

pytest_plugins = ["tests.personas"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing() -> Iterator[None]:
    """argon2id at its production cost takes ~0.2 s a hash, and the suite registers and signs in thousands of
    times (the personas alone are ten registrations per test). Tests hash with the same algorithm at its lowest
    cost; what is checked (the algorithm, verification, rehashing) does not depend on the cost."""
    from argon2 import PasswordHasher

    from kaifang.accounts import passwords

    production = getattr(passwords, "_hasher", None)
    if production is None:  # the module changed: nothing to speed up
        yield
        return
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = production


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The platform clock stopped at the current instant; ``clock.set(at)`` and ``clock.advance(days=3)`` move it.
    Never patch ``utcnow`` in a module: everything reads this clock."""
    platform_clock.freeze()
    yield Clock()
    platform_clock.thaw()


@pytest.fixture(autouse=True)
def _clock_runs_again() -> Iterator[None]:
    # A test that stopped the clock by hand (kaifang.clock.freeze) must not leave it stopped for the next.
    yield
    platform_clock.thaw()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Controller, Mailbox]) -> Mailbox:
    box = smtp_server[1]
    box.messages.clear()
    return box


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("KAIFANG_TEST_DATABASE_URL", "")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@contextmanager
def throwaway_database(database_url: str, folder: Path) -> Iterator[str]:
    """A separate database for committed data: a SQLite file in ``folder``, or a throw-away PostgreSQL database."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{folder / 'committed.db'}"
        return
    name = f"kaifang_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def committed_database_url(tmp_path: Path, database_url: str) -> Iterator[str]:
    with throwaway_database(database_url, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str,
             smtp_server: tuple[Controller, Mailbox]) -> Settings:
    return Settings(
        env="test", var_dir=tmp_path_factory.mktemp("var"), database_url=database_url,
        secret_key="test-secret-key-not-for-production", jobs_backend="immediate",
        mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=smtp_server[0].port,
        base_url="http://testserver",
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    migrate.upgrade(settings.database_url)
    eng = make_engine(settings.database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def sessions(connection: Connection, settings: Settings) -> sessionmaker[Session]:
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    queue = JobQueue(settings, factory)
    factory.configure(info={"settings": settings, "queue": queue})
    return factory


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    s = sessions()
    yield s
    s.close()


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session]):
    return create_app(settings, sessions=sessions, queue=sessions.kw["info"]["queue"], start_worker=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c
