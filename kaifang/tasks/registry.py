"""Job declarations. Domains declare jobs with ``@job``; the queue binds them to Huey when it starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    retries: int
    retry_delay: int
    periodic: Any | None = None  # a huey crontab validator for periodic jobs


JOBS: dict[str, JobSpec] = {}


def job(name: str, *, retries: int = 3, retry_delay: int = 10) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a job. Its function takes ``(ctx: JobContext, **kwargs)``; kwargs must be JSON-able.

    Failures are retried ``retries`` times, waiting ``retry_delay`` seconds, doubled each time.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in JOBS and JOBS[name].func is not func:
            raise ValueError(f"job {name!r} declared twice")
        JOBS[name] = JobSpec(name, func, retries, retry_delay)
        return func

    return decorate


def periodic_job(name: str, schedule: Any, *, retries: int = 1, retry_delay: int = 60) -> Callable[..., Any]:
    """Declare a periodic job; ``schedule`` is ``huey.crontab(...)``."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        JOBS[name] = JobSpec(name, func, retries, retry_delay, periodic=schedule)
        return func

    return decorate
