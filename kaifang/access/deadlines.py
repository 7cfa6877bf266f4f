"""The daily round of conditional access, by the system: a reminder to the provider before the review deadline and
an escalation to the bureau after it (A20.3), an escalation of an unanswered out-of-catalog request (A23.1), and
the end of agreements whose period is over (A21.1). Reminders and escalations are transitions that keep the
object in its state and its deadline (a history row and an audit event each); each happens once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.access.agreements import expire_agreement, period_end
from kaifang.access.models import AccessApplication, DataRequest
from kaifang.access.policy import app_org, application_link
from kaifang.access.requests import console_link
from kaifang.access.workflow import APPLICATION, DATA_REQUEST, ApplicationState, RequestState
from kaifang.accounts import bureau_people, provider_people
from kaifang.db import utcnow
from kaifang.notify import notify
from kaifang.security import SYSTEM, OrgRef, Permission, Principal, service
from kaifang.workflow import transition

REMIND_HOURS = 48  # remind the provider when less than two days are left


def _remind(session: Session, app: AccessApplication, now: dt.datetime) -> None:
    transition(session, SYSTEM, APPLICATION, app, "remind", org=app_org(app))
    app.reminded_at = now
    notify(session, provider_people(session, app.provider_org_id),
           "Reminder: the review of an application is due soon: %(title)s", application_link(app, True),
           title=app.title)


def _escalate(session: Session, app: AccessApplication, now: dt.datetime) -> None:
    transition(session, SYSTEM, APPLICATION, app, "escalate", org=app_org(app))
    app.escalated_at = now
    notify(session, bureau_people(session, app.region_code) + provider_people(session, app.provider_org_id),
           "Overdue: the provider has not reviewed the application in time: %(title)s", application_link(app, True),
           title=app.title)


def _escalate_request(session: Session, req: DataRequest, now: dt.datetime) -> None:
    transition(session, SYSTEM, DATA_REQUEST, req, "escalate", org=OrgRef(0, req.region_code))
    req.escalated_at = now
    notify(session, bureau_people(session, req.region_code),
           "Overdue: a request for data outside the catalog has not been answered: %(title)s", console_link(req),
           title=req.title)


@service(Permission.ACCESS_ACCEPT)
def run_deadlines(session: Session, principal: Principal) -> dict[str, int]:
    """Reminders before the review deadline, escalation to the bureau after it (A20.3), escalation of overdue
    requests (A23.1), and the end of agreements whose period is over (A21.1). Run daily by the system, and on
    demand; the moves are the system's whoever runs it."""
    now = utcnow()
    counts = {"reminded": 0, "escalated": 0, "expired": 0, "requests_escalated": 0}
    soon = now + dt.timedelta(hours=REMIND_HOURS)
    for app in session.execute(select(AccessApplication).where(
            AccessApplication.status == ApplicationState.ACCEPTED, AccessApplication.due_at.is_not(None))
            .order_by(AccessApplication.id)).scalars().all():
        assert app.due_at is not None
        if app.due_at <= now and app.escalated_at is None:
            _escalate(session, app, now)
            counts["escalated"] += 1
        elif now < app.due_at <= soon and app.reminded_at is None:
            _remind(session, app, now)
            counts["reminded"] += 1
    for app in session.execute(select(AccessApplication).where(AccessApplication.status == ApplicationState.IN_FORCE)
                               .order_by(AccessApplication.id)).scalars().all():
        ends = period_end(app)
        if ends is not None and ends <= now:
            expire_agreement(session, app)
            counts["expired"] += 1
    for req in session.execute(select(DataRequest).where(
            DataRequest.status == RequestState.ROUTED, DataRequest.due_at <= now, DataRequest.escalated_at.is_(None))
            .order_by(DataRequest.id)).scalars().all():
        _escalate_request(session, req, now)
        counts["requests_escalated"] += 1
    return counts
