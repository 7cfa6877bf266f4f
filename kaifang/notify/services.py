"""Telling people: ``notify`` (inside the calling service's transaction) and marking messages read."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.orm import Session

from kaifang.accounts import contacts
from kaifang.db import utcnow
from kaifang.errors import Message
from kaifang.i18n import translate
from kaifang.notify.models import Notification
from kaifang.security import AUTHENTICATED, Principal, service
from kaifang.tasks import enqueue


def notify(session: Session, user_ids: Iterable[int], message: str, link: str, **params: str) -> int:
    """Tell each user ``message`` (an English msgid with ``%(name)s`` params) with a link to the item: a row in
    the platform and a mail in the user's language, queued to be sent once the transaction commits. A helper
    inside the calling service's transaction. Returns how many users were told."""
    people = contacts(session, user_ids)
    if not people:
        return 0
    settings = session.info.get("settings")
    base = (getattr(settings, "base_url", "") or "").rstrip("/")
    now = utcnow()
    for person in people:
        session.add(Notification(user_id=person.user_id, message=message, link=link, created_at=now,
                                 params=json.dumps(params, ensure_ascii=False)))
        text = translate(Message(message, params), person.lang)
        enqueue(session, "mail.send", to=person.email, subject=text[:150], body=f"{text}\n\n{base}{link}\n")
    return len(people)


@service(AUTHENTICATED)
def mark_notifications_read(session: Session, principal: Principal, ids: list[int] | None = None) -> int:
    """Mark the caller's unread messages read: those of ``ids``, or every one."""
    stmt = update(Notification).where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids or [-1]))
    result = session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]
