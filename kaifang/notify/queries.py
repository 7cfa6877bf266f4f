"""Reading one's messages."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.errors import Message
from kaifang.notify.models import Notification
from kaifang.pagination import Page, paginate
from kaifang.security import AUTHENTICATED, Principal, query


@dataclass(frozen=True)
class NotificationView:
    """One message as the page shows it: the untranslated message, its link, when, and whether it is unread."""

    id: int
    message: Message
    link: str
    created_at: dt.datetime
    unread: bool


def _view(row: Notification) -> NotificationView:
    try:
        params = json.loads(row.params or "{}")
    except ValueError:
        params = {}
    return NotificationView(row.id, Message(row.message, params if isinstance(params, dict) else {}), row.link,
                            row.created_at, row.read_at is None)


@query(AUTHENTICATED)
def my_notifications(session: Session, principal: Principal, page: int = 1) -> Page[NotificationView]:
    """The caller's messages, newest first."""
    stmt = select(Notification).where(Notification.user_id == principal.user_id).order_by(Notification.id.desc())
    found = paginate(session, stmt, page=page, per_page=30)
    return Page([_view(n) for n in found.items], found.page, found.per_page, found.total)


@query(AUTHENTICATED)
def unread_count(session: Session, principal: Principal) -> int:
    if principal.user_id is None:
        return 0
    return session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None))).scalar_one()
