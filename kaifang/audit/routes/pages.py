"""Console pages for the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.audit import queries
from kaifang.security import Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import PageNumber, get_db, require
from kaifang.web.templating import SHANGHAI, render

router = APIRouter(prefix="/console/audit", dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]


def _day(value: str, end: bool = False) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), SHANGHAI)


@router.get("")
def audit_trail(
    request: Request, db: DB, principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    page: PageNumber, action: str = "", object_type: str = "", object_id: str = "", actor: str = "",
    since: str = "", until: str = "",
) -> Response:
    filters = {"action": action, "object_type": object_type, "object_id": object_id, "actor": actor,
               "since": since, "until": until}
    result = queries.search_events(db, principal, action=action or None, object_type=object_type or None,
                                   object_id=object_id or None, actor=actor or None,
                                   since=_day(since), until=_day(until, end=True), page=page)
    return render(request, "audit/trail.html", {
        "page": result, "filters": filters, "actions": queries.action_names(db, principal),
        "can_verify": principal.can(Permission.AUDIT_VERIFY), "verify": None,
    })


@router.post("/verify")
def audit_verify(
    request: Request, db: DB, principal: Annotated[Principal, Depends(require(Permission.AUDIT_VERIFY))],
) -> Response:
    result = queries.verify(db, principal)
    page = queries.search_events(db, principal, page=1)
    return render(request, "audit/trail.html", {
        "page": page, "filters": {}, "actions": queries.action_names(db, principal), "can_verify": True,
        "verify": result,
    }, status_code=200 if result.ok else 409)
