"""Background jobs: enqueued only after commit, retried with backoff, tracked for the operator, on the
embedded (SQLite) backend, the production (Redis) backend and the immediate mode used by tests."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import redis
from sqlalchemy import select

from kaifang.tasks import JobQueue, enqueue, job
from kaifang.tasks.models import JobRecord

CALLS: dict[str, int] = {}


@job("tests.flaky", retries=2, retry_delay=1)
def flaky(ctx, key: str, fail_times: int) -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] <= fail_times:
        raise RuntimeError(f"attempt {CALLS[key]} failed on purpose")
    return "ok"


def _record(session, task_id) -> JobRecord:
    session.expire_all()
    return session.execute(select(JobRecord).where(JobRecord.task_id == task_id)).scalar_one()


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(session):
    key = uuid.uuid4().hex
    enqueue(session, "tests.flaky", key=key, fail_times=0)
    session.rollback()
    assert key not in CALLS
    assert session.execute(select(JobRecord)).first() is None


def test_a_job_runs_after_commit_and_is_recorded(session):
    key = uuid.uuid4().hex
    task_id = enqueue(session, "tests.flaky", key=key, fail_times=0)
    assert key not in CALLS, "nothing runs before the commit"
    session.commit()
    assert CALLS[key] == 1
    rec = _record(session, task_id)
    assert (rec.state, rec.attempts, rec.last_error) == ("done", 1, None)


def _backend_settings(settings, backend, tmp_path):
    if backend == "redis":
        try:
            redis.Redis.from_url(settings.redis_url).ping()
        except redis.RedisError:
            if os.environ.get("KAIFANG_TEST_REQUIRE_REDIS"):
                raise
            pytest.skip("Redis is not running on localhost")
    return settings.model_copy(update={"jobs_backend": backend, "var_dir": tmp_path,
                                       "jobs_name": f"kaifang-test-{uuid.uuid4().hex[:8]}"})


@pytest.mark.parametrize("backend", ["embedded", "redis"])
@pytest.mark.parametrize(("fail_times", "state", "attempts"), [(1, "done", 2), (5, "failed", 3)])
def test_worker_retries_with_backoff_and_tracks_state(backend, fail_times, state, attempts, sessions, settings,
                                                      tmp_path):
    queue = JobQueue(_backend_settings(settings, backend, tmp_path), sessions)
    sessions.configure(info={**sessions.kw["info"], "queue": queue})
    finished = threading.Event()

    def watch(signal, task, exc=None):  # connected after the queue's own tracker, so it runs after it
        if task.name == "tests.flaky" and (signal == "complete" or (signal == "error" and task.retries <= 0)):
            finished.set()

    queue.huey.signal()(watch)
    key = uuid.uuid4().hex
    with sessions() as session:
        task_id = enqueue(session, "tests.flaky", key=key, fail_times=fail_times)
        session.commit()
    queue.start_worker()
    try:
        assert finished.wait(30), "the worker finished the job"
    finally:
        queue.stop_worker()
        if backend == "redis":
            queue.huey.storage.flush_all()
    with sessions() as session:
        rec = _record(session, task_id)
    assert (rec.state, rec.attempts) == (state, attempts)
    assert CALLS[key] == attempts
    if state == "failed":
        assert "attempt 3 failed on purpose" in rec.last_error
