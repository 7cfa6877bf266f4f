"""Results of use (A24.2): an app, a paper, a report... that a grantee made with the data, reported against their
application once its agreement is in force, and shown on the dataset's page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kaifang.access.models import UseResult
from kaifang.access.policy import own_application
from kaifang.access.schemas import RESULT_KINDS
from kaifang.access.workflow import ApplicationState
from kaifang.audit import record
from kaifang.db import utcnow
from kaifang.errors import BusinessRuleError, ValidationErrors
from kaifang.security import AUTHENTICATED, Principal, service

REPORTABLE = frozenset({ApplicationState.IN_FORCE, ApplicationState.EXPIRED})


@service(AUTHENTICATED)
def report_result(session: Session, principal: Principal, app_id: int, kind: str, title: str, url: str = "",
                  description: str = "") -> UseResult:
    app = own_application(session, principal, app_id)
    if app.status not in REPORTABLE:
        raise BusinessRuleError("Results can be reported once the use agreement is in force.")
    errors = {}
    if kind not in RESULT_KINDS:
        errors["kind"] = "Choose the kind of result."
    if not title.strip():
        errors["title"] = "Give the result's title."
    url = url.strip()
    if url and not url.lower().startswith(("http://", "https://")):
        errors["url"] = "A link starts with http:// or https://."
    if errors:
        raise ValidationErrors(errors)
    row = UseResult(application_id=app.id, user_id=principal.user_id, kind=kind, title=" ".join(title.split())[:200],
                    url=url[:500], description=description.strip(), created_at=utcnow())
    session.add(row)
    session.flush()
    record(session, principal, "access.result_reported", "access_application", app.id,
           after={"kind": kind, "title": row.title, "url": row.url})
    return row
