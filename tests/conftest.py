"""Shared fixtures: a real database (SQLite by default, PostgreSQL when KAIFANG_TEST_DATABASE_URL says so),
the schema built by the real migrations, each test inside a transaction rolled back at its end, a real
SMTP server on loopback, and the app over HTTP."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from kaifang import migrate
from kaifang.app import create_app
from kaifang.config import Settings
from kaifang.db import make_engine
from kaifang.tasks import JobQueue

pytest_plugins = ["tests.personas"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """Collects what the loopback SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


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
