"""Grants (A20.4, A22.1, A34.1): what an agreement in force lets its applicant read of each dataset. A grant starts
when the agreement comes into force and then moves only through its workflow (``GRANT``): suspended while a
sanction covers it, resumed when it is lifted, revoked with its agreement, expired with its period. A key bound
to a grant reads that grant's dataset only."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.access.models import AccessApplication, Grant
from kaifang.access.rules import items_of
from kaifang.access.workflow import GRANT, GRANT_LIVE, GrantState
from kaifang.accounts import bind_api_key, my_api_keys
from kaifang.audit import record
from kaifang.db import utcnow
from kaifang.errors import NotFound
from kaifang.security import AUTHENTICATED, SYSTEM, OrgRef, Principal, service
from kaifang.workflow import transition


def start_grants(session: Session, app: AccessApplication, starts: dt.datetime, ends: dt.datetime) -> list[Grant]:
    """A20.4: one active grant per dataset with approved data items, for the approved rows, deliveries and period.
    A helper of the service that puts the agreement in force (the system starts them)."""
    now = utcnow()
    made = []
    for item in items_of(session, app):
        if not json.loads(item.approved_fields):
            continue
        grant = Grant(application_id=app.id, grantee_user_id=app.applicant_user_id, entry_id=item.entry_id,
                      provider_org_id=app.provider_org_id, columns=item.approved_fields, row_filter=item.row_filter,
                      deliveries=app.approved_deliveries, starts_at=starts, ends_at=ends, state=GrantState.ACTIVE,
                      created_at=now)
        session.add(grant)
        session.flush()
        record(session, SYSTEM, "access.grant_started", "access_grant", grant.id, after={
            "application_id": app.id, "entry_id": item.entry_id, "columns": json.loads(item.approved_fields),
            "row_filter": item.row_filter, "deliveries": json.loads(app.approved_deliveries),
            "starts_at": starts.isoformat(), "ends_at": ends.isoformat()})
        made.append(grant)
    return made


def grants_of(session: Session, app_id: int, states: Iterable[str] = GRANT_LIVE) -> list[Grant]:
    return list(session.execute(select(Grant).where(Grant.application_id == app_id, Grant.state.in_(list(states)))
                                .order_by(Grant.id)).scalars())


def _org(session: Session, grant: Grant) -> OrgRef:
    """A grant is checked against its provider, in the region of the application it came from."""
    app = session.get(AccessApplication, grant.application_id)
    return OrgRef(grant.provider_org_id, app.region_code if app else "")


@service(AUTHENTICATED)
def move_grants(session: Session, principal: Principal, grants: Iterable[Grant], name: str, reason: str = "",
                state_reason: str | None = None) -> list[Grant]:
    """Take transition ``name`` of ``GRANT`` on each grant, acting for ``principal`` (a history row and an audit
    event each; ``transition()`` checks the permission of each move). ``state_reason`` is kept on the grant (a
    sanction's reference); the note is ``reason``. Called inside the service that causes the moves."""
    moved = []
    for grant in grants:
        transition(session, principal, GRANT, grant, name, org=_org(session, grant), note=reason)
        grant.state_reason = reason.strip() if state_reason is None else state_reason
        grant.state_changed_at = utcnow()
        moved.append(grant)
    return moved


@service(AUTHENTICATED)
def bind_key_to_grant(session: Session, principal: Principal, key_id: int | None, grant_id: int) -> Grant:
    """A20.4: bind one of the caller's API keys to one of their grants, so that it reads that grant's dataset only
    and stops with it; no key (None) unbinds every key bound to the grant."""
    grant = session.get(Grant, grant_id)
    if grant is None or principal.user_id is None or grant.grantee_user_id != principal.user_id:
        raise NotFound()
    if key_id is not None:
        bind_api_key(session, principal, key_id, grant.id)
    else:
        for key in my_api_keys(session, principal):
            if key.grant_id == grant.id and key.revoked_at is None:
                bind_api_key(session, principal, key.id, None)
    return grant
