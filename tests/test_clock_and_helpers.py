"""The platform clock (kaifang/clock.py) and the shared test helpers (tests/helpers.py) do what they say."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from kaifang import clock as platform_clock
from kaifang.audit import record
from kaifang.db import utcnow
from kaifang.security import SYSTEM
from kaifang.tasks import enqueue
from tests.helpers import Clock, audit_events, count_queries, queued_jobs


def test_the_clock_runs_in_utc_until_a_test_stops_it() -> None:
    assert not platform_clock.is_frozen()
    now = platform_clock.now()
    assert now.tzinfo is dt.UTC and abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    with pytest.raises(RuntimeError):
        platform_clock.advance(dt.timedelta(days=1))
    with pytest.raises(ValueError):
        platform_clock.freeze(dt.datetime(2026, 3, 2, 9, 0))  # naive


def test_the_clock_fixture_stops_and_moves_every_now(clock: Clock) -> None:
    start = clock.now()
    assert utcnow() == start == platform_clock.now()
    at = dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.UTC)  # 00:30 on 3 March in Suzhou
    assert clock.set(at) == at and utcnow() == at
    assert clock.today() == dt.date(2026, 3, 3)
    assert clock.advance(days=11, hours=1) == at + dt.timedelta(days=11, hours=1) == utcnow()
    assert clock.advance(dt.timedelta(minutes=-5)) == at + dt.timedelta(days=11, minutes=55)


def test_the_clock_runs_again_after_a_test_that_stopped_it() -> None:
    assert not platform_clock.is_frozen()


def test_audit_events_and_queued_jobs_of_the_test(session: Session) -> None:
    record(session, SYSTEM, "test.thing_done", "thing", 7, before={"state": "a"}, after={"state": "b"})
    record(session, SYSTEM, "test.other", "thing", 8)
    [ev] = audit_events(session, "test.thing_done")
    assert (ev.object_type, ev.object_id, ev.before, ev.after) == ("thing", "7", {"state": "a"}, {"state": "b"})
    assert [e.action for e in audit_events(session, object_type="thing")] == ["test.thing_done", "test.other"]
    assert audit_events(session, object_id=8)[0].action == "test.other"
    enqueue(session, "mail.send", to="a@example.cn", subject="s", body="secret link")
    [job] = queued_jobs(session, "mail.send")
    assert job.state == "queued" and job.args["to"] == "a@example.cn" and job.args["body"] == "***"


def test_count_queries_counts_statements_not_transaction_control(session: Session) -> None:
    with count_queries(session) as counted:
        session.execute(text("SELECT 1"))
        session.begin_nested().rollback()
        session.execute(text("SELECT 2"))
    assert counted.count == 2, str(counted)
    assert "SELECT 2" in str(counted)


def test_every_now_comes_from_the_platform_clock() -> None:
    """kaifang reads the time only through kaifang.clock (db.utcnow delegates to it), and no test patches a
    module's ``utcnow``: the ``clock`` fixture moves every now at once."""
    root = Path(__file__).resolve().parent.parent
    wall_clock = re.compile(r"\b(datetime\.now|date\.today|datetime\.utcnow|datetime\.today)\(")
    readers = [f"{p.relative_to(root)}:{n}" for p in (root / "kaifang").rglob("*.py") if p.name != "clock.py"
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if wall_clock.search(line)]
    assert not readers, f"use kaifang.clock.now() / today() (or kaifang.db.utcnow()) instead: {readers}"
    patching = re.compile(r"setattr\([^)]*utcnow")
    patched = [str(p.relative_to(root)) for p in (root / "tests").rglob("*.py")
               if patching.search(p.read_text(encoding="utf-8"))]
    assert not patched, f"use the clock fixture instead of patching utcnow: {patched}"
