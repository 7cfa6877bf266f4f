"""The messages page of the personal centre, and the header's count of unread messages."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kaifang.i18n import translate
from kaifang.notify import mark_notifications_read, my_notifications, unread_count
from kaifang.security import Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import PageNumber, get_db, require_login
from kaifang.web.forms import Submitted, form_of, safe_next
from kaifang.web.templating import render, templates

log = logging.getLogger("kaifang.notify")

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
SignedIn = Annotated[Principal, Depends(require_login)]


class MarkReadInput(BaseModel):
    """Which messages to mark read (none named: every one), and where to go back to."""

    id: list[str] = Field(default_factory=list, max_length=200)
    next: str = Field(default="", max_length=500)


MarkReadForm = Annotated[Submitted[MarkReadInput], Depends(form_of(MarkReadInput))]


@router.get("/me/notifications")
def notifications(request: Request, db: DB, principal: SignedIn, page: PageNumber) -> Response:
    result = my_notifications(db, principal, page)
    items = [{"id": n.id, "text": translate(n.message), "link": safe_next(n.link, ""), "created_at": n.created_at,
              "unread": n.unread} for n in result.items]
    return render(request, "notify/notifications.html", {"page": result, "items": items})


@router.post("/me/notifications/read")
def mark_read(request: Request, db: DB, principal: SignedIn, form: MarkReadForm) -> Response:
    ids = [int(v) for v in form.values.get("id", []) if v.isdigit() and len(v) < 19]
    mark_notifications_read(db, principal, ids or None)
    return RedirectResponse(safe_next(str(form.values.get("next") or ""), "/me/notifications"), status_code=303)


def unread_notifications(request: Request) -> int:
    """The header's count of unread messages (a Jinja global; 0 for visitors, or when it cannot be read)."""
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.user_id is None:
        return 0
    try:
        with request.app.state.sessions() as session:
            return unread_count(session, principal)
    except Exception:  # the header must never break a page, error pages included
        log.exception("could not count unread notifications")
        return 0


def show_unread_count() -> None:
    """Give ``base.html`` its count of unread messages (called once when the app is made)."""
    templates.env.globals["unread_notifications"] = unread_notifications
