"""The task queue: Huey with SQLite storage (embedded), Redis (production) or immediate (tests).

Jobs are enqueued only after the surrounding transaction commits (``enqueue`` records the intent in the
session; the ``after_commit`` hook hands it to Huey), retried with exponential backoff, and tracked in
``job_record`` for the operator.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, signals
from huey.consumer import Consumer
from sqlalchemy import CursorResult, event, update
from sqlalchemy.orm import Session, sessionmaker

from kaifang.config import Settings
from kaifang.db import utcnow, write_sessions
from kaifang.tasks.models import JobRecord
from kaifang.tasks.registry import JOBS, JobSpec

log = logging.getLogger("kaifang.tasks")


class EmbeddedConsumer(Consumer):
    """A consumer inside the web process: the web server owns the process's signals, so leave them alone."""

    def _set_signal_handlers(self) -> None:
        return None


@dataclass
class JobContext:
    """What a running job gets: sessions and the settings.

    Jobs write next to the web requests, so the queue gives them write sessions (on SQLite each transaction
    begins IMMEDIATE, decisions/0008): keep each one short, and never hold one open across slow work such as
    converting a file. A job that only reads for long (verifying the audit chain) uses ``read_session()``, which
    never takes the writer lock."""

    sessions: Callable[[], Session]
    settings: Settings
    task_id: str | None = None
    read_sessions: Callable[[], Session] | None = None

    def read_session(self) -> Session:
        return (self.read_sessions or self.sessions)()


class JobQueue:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], huey: Huey | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.write_sessions = write_sessions(sessions)
        self.huey = huey or self._make_huey(settings)
        self._tasks: dict[str, Any] = {}
        self._consumer: Consumer | None = None
        from kaifang.models import load_all_jobs

        load_all_jobs()
        for spec in JOBS.values():
            self._bind(spec)
        self.huey.signal()(self._on_signal)

    @staticmethod
    def _make_huey(settings: Settings) -> Huey:
        if settings.jobs_backend == "redis":
            return RedisHuey(settings.jobs_name, url=settings.redis_url, utc=True)
        if settings.jobs_backend == "immediate":
            return MemoryHuey(settings.jobs_name, immediate=True, utc=True)
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(settings.jobs_name, filename=str(settings.var_dir / "jobs.db"), utc=True)

    def _bind(self, spec: JobSpec) -> None:
        def run(**kwargs: Any) -> Any:
            return spec.func(JobContext(self.write_sessions, self.settings, read_sessions=self.sessions), **kwargs)

        run.__name__ = spec.name.replace(".", "_")
        if spec.periodic is not None:
            wrapped = self.huey.periodic_task(
                spec.periodic, retries=spec.retries, retry_delay=spec.retry_delay, name=spec.name
            )(run)
        else:
            wrapped = self.huey.task(
                retries=spec.retries, retry_delay=spec.retry_delay, retry_backoff=2, name=spec.name
            )(run)
        self._tasks[spec.name] = wrapped

    # -- enqueue after commit --------------------------------------------------------------------
    def enqueue(self, session: Session, name: str, **kwargs: Any) -> str:
        """Record a job in the session's transaction; it reaches the queue only if that commits."""
        spec = JOBS[name]
        task_id = uuid.uuid4().hex
        now = utcnow()
        session.add(
            JobRecord(
                task_id=task_id, name=name, state="queued", attempts=0, max_retries=spec.retries,
                args_summary=_summary(kwargs), created_at=now, updated_at=now,
            )
        )
        session.info.setdefault("pending_jobs", []).append((self, name, task_id, kwargs))
        return task_id

    def send_now(self, name: str, task_id: str, kwargs: dict[str, Any]) -> None:
        message = self._tasks[name].s(**kwargs)
        message.id = task_id
        self.huey.enqueue(message)

    # -- tracking --------------------------------------------------------------------------------
    def _on_signal(self, signal: str, task: Any, exc: BaseException | None = None) -> None:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if signal == signals.SIGNAL_EXECUTING:
            values.update(state="running", attempts=JobRecord.attempts + 1)
        elif signal == signals.SIGNAL_COMPLETE:
            values.update(state="done", finished_at=utcnow(), last_error=None)
        elif signal == signals.SIGNAL_RETRYING:
            values.update(state="retrying")
        elif signal == signals.SIGNAL_ERROR:
            err = "".join(traceback.format_exception_only(type(exc), exc)).strip() if exc else "error"
            values.update(last_error=err[:4000])
            if task.retries <= 0:
                values.update(state="failed", finished_at=utcnow())
        else:
            return
        with self.write_sessions() as session:
            stmt = update(JobRecord).where(JobRecord.task_id == task.id).values(**values)
            result = cast(CursorResult[Any], session.execute(stmt))  # an UPDATE's result has a row count
            if result.rowcount == 0 and signal == signals.SIGNAL_EXECUTING:
                # Periodic jobs are not enqueued through a transaction: record them on first run.
                now = utcnow()
                session.add(JobRecord(
                    task_id=task.id, name=task.name, state="running", attempts=1,
                    max_retries=task.retries, args_summary="", periodic=True, created_at=now, updated_at=now,
                ))
            session.commit()

    # -- the embedded worker ---------------------------------------------------------------------
    def start_worker(self, workers: int = 1) -> None:
        if self._consumer is None and not self.huey.immediate:
            # Short polling delays so that shutting the web process down never waits long for idle workers.
            self._consumer = EmbeddedConsumer(self.huey, workers=workers, worker_type="thread", periodic=True,
                                              check_worker_health=False, max_delay=2.0, shutdown_timeout=15)
            self._consumer.start()

    def stop_worker(self) -> None:
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None


def _summary(kwargs: dict[str, Any]) -> str:
    # Never show secrets (a reset link sits in a mail body) to the operator.
    hidden = ("password", "token", "secret", "body")
    safe = {k: ("***" if any(s in k for s in hidden) else v) for k, v in kwargs.items()}
    return json.dumps(safe, ensure_ascii=False, default=str)[:1000]


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop("pending_jobs", [])
    for queue, name, task_id, kwargs in pending:
        try:
            queue.send_now(name, task_id, kwargs)
        except Exception:  # the job row stays "queued"; the operator sees it and can retry
            log.exception("could not enqueue job %s (%s)", name, task_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop("pending_jobs", None)


def enqueue(session: Session, name: str, **kwargs: Any) -> str:
    """Enqueue on the queue the session was made with; sent only after the transaction commits."""
    queue: JobQueue = session.info["queue"]
    return queue.enqueue(session, name, **kwargs)
