"""The operator's view of background jobs."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.pagination import Page, paginate
from kaifang.security import Permission, Principal, query
from kaifang.tasks.models import JobRecord

STATES = ("queued", "running", "retrying", "done", "failed")


@query(Permission.JOBS_READ)
def list_jobs(session: Session, principal: Principal, *, state: str | None = None, name: str | None = None,
              page: int = 1, per_page: int = 50) -> Page[JobRecord]:
    stmt = select(JobRecord)
    if state:
        stmt = stmt.where(JobRecord.state == state)
    if name:
        stmt = stmt.where(JobRecord.name == name)
    return paginate(session, stmt.order_by(JobRecord.created_at.desc(), JobRecord.id.desc()), page, per_page)


@query(Permission.JOBS_READ)
def job_counts(session: Session, principal: Principal) -> dict[str, int]:
    rows = session.execute(select(JobRecord.state, func.count()).group_by(JobRecord.state)).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: n for state, n in rows})
    return counts
