"""Shared test helpers for the side effects a test asserts (STYLE.md: Tests): the audit events it recorded,
the jobs it queued, the mail it sent, the SQL statements it ran, and the platform clock it stopped.

Tests use these instead of reaching into another domain's models (the import-linter contracts tests-<domain>
forbid that), so the tables behind them can change in one place.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from kaifang import clock as platform_clock
from kaifang.audit.models import AuditEvent
from kaifang.tasks.models import JobRecord

# -- audit events --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audited:
    """One audit event, its changes decoded."""

    id: int
    action: str
    object_type: str
    object_id: str | None
    actor_id: int | None
    actor_label: str
    before: dict[str, Any]
    after: dict[str, Any]
    at: dt.datetime


def audit_events(session: Session, action: str | None = None, *, object_type: str | None = None,
                 object_id: object = None, actor_id: int | None = None) -> list[Audited]:
    """The audit events recorded so far in this test (each test runs in its own rolled-back transaction), oldest
    first, optionally only those of one action, object type, object (id as given: it is compared as text) or
    actor."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type is not None:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    found = []
    for ev in session.execute(stmt).scalars():
        changes = json.loads(ev.changes or "{}")
        found.append(Audited(ev.id, ev.action, ev.object_type, ev.object_id, ev.actor_id, ev.actor_label,
                             changes.get("before") or {}, changes.get("after") or {}, ev.occurred_at))
    return found


# -- queued jobs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queued:
    """One job as the queue recorded it (``args`` is its summary: secrets show as ``***``)."""

    task_id: str
    name: str
    state: str
    args: dict[str, Any]


def queued_jobs(session: Session, name: str | None = None) -> list[Queued]:
    """The jobs enqueued so far in this test, oldest first (also those whose transaction has not committed yet:
    they are in the session, not yet on the queue)."""
    stmt = select(JobRecord).order_by(JobRecord.id)
    if name is not None:
        stmt = stmt.where(JobRecord.name == name)
    jobs = []
    for job in session.execute(stmt).scalars():
        try:
            args = json.loads(job.args_summary or "{}")
        except ValueError:  # a summary is cut at 1,000 characters
            args = {}
        jobs.append(Queued(job.task_id, job.name, job.state, args))
    return jobs


# -- sent mail -----------------------------------------------------------------------------------------------


class Mailbox:
    """What the loopback SMTP server of the test session receives (the ``mailbox`` fixture empties it)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages to ``address`` once at least ``count`` have arrived (or whatever came within
        ``timeout`` seconds): mail goes out from a job, which may run on another thread."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.to(address)


def sent_mail(mailbox: Mailbox, to: str, *, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
    """The mail sent to ``to`` in this test, waiting up to ``timeout`` seconds for ``count`` messages."""
    return mailbox.wait_for(to, count, timeout)


# -- query counts --------------------------------------------------------------------------------------------

# Transaction control is not a query: a test's savepoints would otherwise count, and BEGIN is sent as SQL on
# SQLite only.
_TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass
class QueryCount:
    """The SQL statements run inside a ``count_queries`` block."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        lines = [f"{self.count} SQL statements:"]
        lines += [f"{n:3}. {' '.join(sql.split())[:300]}" for n, sql in enumerate(self.statements, 1)]
        return "\n".join(lines)


@contextmanager
def count_queries(target: Engine | Connection | Session) -> Iterator[QueryCount]:
    """Count the SQL statements sent through ``target`` (an engine, a connection, or a session's bind) while the
    block runs, from every thread (the test client serves requests on its own). Transaction control is left
    out. Print the result to see the statements."""
    bind = target.get_bind() if isinstance(target, Session) else target
    counted = QueryCount()

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _TRANSACTION_CONTROL.match(statement):
            counted.statements.append(statement)

    event.listen(bind, "before_cursor_execute", on_execute)
    try:
        yield counted
    finally:
        event.remove(bind, "before_cursor_execute", on_execute)


# -- the clock -----------------------------------------------------------------------------------------------


class Clock:
    """The platform clock (kaifang/clock.py), stopped for one test by the ``clock`` fixture. Everything that asks
    ``kaifang.db.utcnow()`` or ``kaifang.clock.now()`` sees this time, requests served by the test client
    included; it moves only when the test moves it."""

    def now(self) -> dt.datetime:
        return platform_clock.now()

    def today(self) -> dt.date:
        """Today in Suzhou."""
        return platform_clock.today()

    def set(self, at: dt.datetime) -> dt.datetime:
        """Jump to ``at`` (an aware datetime)."""
        return platform_clock.freeze(at)

    def advance(self, delta: dt.timedelta | None = None, **units: float) -> dt.datetime:
        """Move forward by ``delta`` or by ``timedelta(**units)``: ``clock.advance(days=11)``."""
        return platform_clock.advance(delta if delta is not None else dt.timedelta(**units))
