"""Who may see what of conditional access, and what a sanction or a bound key forbids (A20.4, A23.1, A34.1).
Both the reads (queries.py) and the writes (the process modules) ask here; nothing here writes.

- An application is visible to its applicant, and once submitted to whoever holds ``access:applications:read``
  over its provider; a request to its requester, the bureau of its region and the agency it was routed to.
  Anyone else is told it does not exist (NotFound, like a missing one).
- The grants the access decision takes, and the refusals that come before it (a closure, a bound key).
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.access.decision import Delivery, GrantScope
from kaifang.access.models import AccessApplication, DataRequest, Grant, Sanction
from kaifang.access.row_filters import row_filters_of
from kaifang.access.schemas import SANCTION_CLOSE
from kaifang.access.workflow import ApplicationState, GrantState
from kaifang.accounts import organisation_info
from kaifang.catalog import entry_access_info
from kaifang.errors import QueryError
from kaifang.security import (
    AUTHENTICATED,
    PUBLIC,
    BusinessRuleError,
    NotFound,
    OrgRef,
    Permission,
    Principal,
    authorize,
    query,
)

SANCTIONED = ("Your access to this provider's data has been restricted: you cannot apply for it. See the notice "
              "in your personal centre.")
BOUND_KEY_ELSEWHERE = "This API key is bound to an approved application and reads only that application's data."
ACCESS_CLOSED = ("Your access to data has been closed by the data administration. "
                 "See the notice in your personal centre.")


# --- applications ------------------------------------------------------------------------------------

def app_org(app: AccessApplication) -> OrgRef:
    """The organisation an application is checked against: its provider, in the provider's region."""
    return OrgRef(app.provider_org_id, app.region_code)


def application_link(app: AccessApplication, console: bool) -> str:
    return f"/console/access/{app.id}" if console else f"/access/{app.id}"


@query(AUTHENTICATED)
def load_application(session: Session, principal: Principal, app_id: int) -> AccessApplication:
    """The application as the caller may see it: theirs, or (once submitted) of a provider they reach; otherwise
    NotFound."""
    app = session.get(AccessApplication, app_id)
    if app is None:
        raise NotFound()
    if principal.user_id is not None and app.applicant_user_id == principal.user_id:
        return app
    if app.status == ApplicationState.DRAFT and not principal.is_system:
        raise NotFound()  # a draft is the applicant's own until submitted
    authorize(principal, Permission.ACCESS_READ, app_org(app), hide=True)
    return app


@query(AUTHENTICATED)
def own_application(session: Session, principal: Principal, app_id: int) -> AccessApplication:
    """The caller's own application (a helper of the applicant's services); anyone else's does not exist."""
    app = session.get(AccessApplication, app_id)
    if app is None or principal.user_id is None or app.applicant_user_id != principal.user_id:
        raise NotFound()
    return app


# --- out-of-catalog requests -------------------------------------------------------------------------

def request_org(session: Session, req: DataRequest) -> OrgRef:
    """Whom a request is checked against: the agency it was routed to, else the bureau of its region."""
    org = organisation_info(session, req.routed_org_id)
    return org.ref if org is not None else OrgRef(0, req.region_code)


@query(AUTHENTICATED)
def load_request(session: Session, principal: Principal, req_id: int) -> DataRequest:
    """The request as the caller may see it: theirs, of the bureau's region, or routed to an agency they reach."""
    req = session.get(DataRequest, req_id)
    if req is None:
        raise NotFound()
    if principal.user_id is not None and req.requester_user_id == principal.user_id:
        return req
    if principal.can(Permission.ACCESS_ACCEPT, OrgRef(0, req.region_code)):
        return req
    if req.routed_org_id is not None:
        authorize(principal, Permission.ACCESS_READ, request_org(session, req), hide=True)
        return req
    raise NotFound()


# --- sanctions in force (A34.1) ------------------------------------------------------------------------

def sanctions_in_force(session: Session, user_id: int) -> list[Sanction]:
    return list(session.execute(select(Sanction).where(Sanction.user_id == user_id,
                                                       Sanction.lifted_at.is_(None))).scalars())


def refuse_if_sanctioned(session: Session, user_id: int, org_id: int) -> None:
    """A34.1: a user whose access to this provider's data is restricted cannot apply for it."""
    if any(s.org_id in (None, org_id) for s in sanctions_in_force(session, user_id)):
        raise BusinessRuleError(SANCTIONED)


# --- for the access decision ---------------------------------------------------------------------------

@query(PUBLIC)
def grants_for(session: Session, principal: Principal, entry_id: int) -> list[GrantScope]:
    """A20.4: the principal's grants on this entry as the access decision takes them. A grant that is not active
    (suspended, revoked, expired) or whose row condition no longer fits the data is passed as inactive, so that
    the decision refuses; a key bound to a grant (``bound_grant_id``) sees that grant only."""
    if principal.user_id is None:
        return []
    stmt = select(Grant).where(Grant.grantee_user_id == principal.user_id, Grant.entry_id == entry_id)
    if principal.bound_grant_id is not None:
        stmt = stmt.where(Grant.id == principal.bound_grant_id)
    rows = list(session.execute(stmt).scalars())
    if not rows:
        return []
    schema = entry_access_info(session, entry_id).schema
    sanctioned = {s.org_id for s in sanctions_in_force(session, principal.user_id)}
    out = []
    for g in rows:
        try:
            filters = row_filters_of(g.row_filter, schema)
        except QueryError:
            filters, ok = (), False
        else:
            ok = True
        active = (ok and g.state == GrantState.ACTIVE and None not in sanctioned
                  and g.provider_org_id not in sanctioned)
        deliveries = {Delivery(d) for d in json.loads(g.deliveries)}
        if deliveries & {Delivery.DOWNLOAD, Delivery.API}:
            deliveries.add(Delivery.PREVIEW)  # the dataset page shows the grantee the same granted rows
        out.append(GrantScope(g.id, g.grantee_user_id, g.entry_id, tuple(json.loads(g.columns)), tuple(filters),
                              frozenset(deliveries), g.starts_at, g.ends_at, active))
    return out


@query(PUBLIC)
def read_refusal(session: Session, principal: Principal, entry_id: int) -> str | None:
    """A34.1, A20.4: a refusal (its msgid) that applies before the access decision, whatever the open class: the
    user's access is closed platform-wide, or the API key is bound to a grant on another dataset."""
    if principal.user_id is None:
        return None
    if any(s.org_id is None and s.kind == SANCTION_CLOSE for s in sanctions_in_force(session, principal.user_id)):
        return ACCESS_CLOSED
    if principal.bound_grant_id is not None:
        grant = session.get(Grant, principal.bound_grant_id)
        if grant is None or grant.entry_id != entry_id:
            return BOUND_KEY_ELSEWHERE
    return None
