"""Reading the audit trail (A9.4): the operator browses and filters it, supervisors read it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.audit.chain import VerifyResult, verify_chain
from kaifang.audit.models import AuditEvent
from kaifang.pagination import Page, paginate
from kaifang.security import Permission, Principal, query


@query(Permission.AUDIT_READ)
def search_events(
    session: Session, principal: Principal, *, action: str | None = None, object_type: str | None = None,
    object_id: str | None = None, actor: str | None = None, since: dt.datetime | None = None,
    until: dt.datetime | None = None, page: int = 1, per_page: int = 50,
) -> Page[AuditEvent]:
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action.strip()))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type.strip())
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id.strip())
    if actor:
        stmt = stmt.where(AuditEvent.actor_label.contains(actor.strip()))
    if since:
        stmt = stmt.where(AuditEvent.occurred_at >= since)
    if until:
        stmt = stmt.where(AuditEvent.occurred_at < until)
    return paginate(session, stmt.order_by(AuditEvent.seq.desc()), page, per_page)


@query(Permission.AUDIT_READ)
def action_names(session: Session, principal: Principal) -> list[str]:
    return list(session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars())


@query(Permission.AUDIT_VERIFY)
def verify(session: Session, principal: Principal) -> VerifyResult:
    return verify_chain(session)
