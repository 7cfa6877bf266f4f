"""The daily round of the access processes: reminders before the review deadline, escalation after it (A20.3),
overdue out-of-catalog requests (A23.1), and the end of agreements whose period is over (A21.1)."""

from __future__ import annotations

from huey import crontab

from kaifang.access.deadlines import run_deadlines
from kaifang.security import SYSTEM
from kaifang.tasks import JobContext, periodic_job


# 16:05 UTC is 00:05 in Beijing: a period that ended at midnight stops being shown as in force at once (reads
# stop at the period's end anyway: the access decision checks the time on every request).
@periodic_job("access.deadlines", crontab(minute="5", hour="16"))
def deadlines(ctx: JobContext) -> dict[str, int]:
    with ctx.sessions() as session:
        return run_deadlines(session, SYSTEM)
