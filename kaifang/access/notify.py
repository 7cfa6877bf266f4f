"""Notifications of the access processes: a row in the platform for each recipient, and the same by e-mail
(in the recipient's language, sent by a job after the transaction commits)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.access.models import Notification
from kaifang.accounts.models import Membership, Organisation, User
from kaifang.db import utcnow
from kaifang.i18n import gettext_in
from kaifang.tasks import enqueue

BUREAU_ROLES = ("city_bureau", "district_bureau")
PROVIDER_ROLES = ("provider_staff", "provider_cdo")


def provider_people(session: Session, org_id: int) -> list[int]:
    """The provider's data staff and chief data officer: who reviews and signs for the agency."""
    return list(session.execute(
        select(Membership.user_id).join(User, User.id == Membership.user_id)
        .where(Membership.org_id == org_id, Membership.role.in_(PROVIDER_ROLES), User.is_active.is_(True))
        .distinct()).scalars())


def bureau_people(session: Session, region_code: str) -> list[int]:
    """The city bureau's people, and the district bureau's of ``region_code``: who accepts and routes."""
    rows = session.execute(
        select(Membership.user_id, Membership.role, Organisation.region_code)
        .join(Organisation, Organisation.id == Membership.org_id).join(User, User.id == Membership.user_id)
        .where(Membership.role.in_(BUREAU_ROLES), User.is_active.is_(True))).all()
    return sorted({r.user_id for r in rows if r.role == "city_bureau" or r.region_code == region_code})


def notify(session: Session, user_ids: Iterable[int], message: str, link: str, **params: str) -> int:
    """Tell each user ``message`` (an English msgid with ``%(name)s`` params) with a link to the item."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    settings = session.info.get("settings")
    base = (getattr(settings, "base_url", "") or "").rstrip("/")
    now = utcnow()
    users = session.execute(select(User.id, User.email, User.lang).where(User.id.in_(ids))).all()
    for user in users:
        session.add(Notification(user_id=user.id, message=message, params=json.dumps(params, ensure_ascii=False),
                                 link=link, created_at=now))
        text = gettext_in(user.lang, message, **params)
        enqueue(session, "mail.send", to=user.email, subject=text[:150],
                body=f"{text}\n\n{base}{link}\n")
    return len(users)
