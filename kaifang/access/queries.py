"""Conditional-access reads: the applicant's and the staff's views of an application, the queues of each role
(overdue first), requests, results of use and sanctions. Who may see what is decided in policy.py."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Exists, and_, case, or_, select
from sqlalchemy.orm import Session

from kaifang.access.datasets import datasets
from kaifang.access.models import (
    AcceptanceRound,
    AccessApplication,
    AgreementSignature,
    ApplicationAttachment,
    DataRequest,
    Grant,
    Sanction,
    UseAgreement,
    UseResult,
)
from kaifang.access.policy import app_org, load_application, load_request, request_org, sanctions_in_force
from kaifang.access.rules import items_of, missing_elements
from kaifang.access.workflow import APPLICATION, DATA_REQUEST, REQUEST_OPEN, ApplicationState, RequestState
from kaifang.accounts import organisation_info, organisations_in
from kaifang.db import utcnow
from kaifang.pagination import Page, paginate
from kaifang.security import AUTHENTICATED, PUBLIC, NotFound, Permission, Principal, query, reach
from kaifang.workflow import WorkflowHistory, history

# --- applications ------------------------------------------------------------------------------------

APPLICANT_MOVES = frozenset({"submit", "resubmit", "withdraw", "sign_applicant"})


@dataclass
class ItemView:
    entry_id: int
    entry_name: str
    slug: str
    fields: list[str]
    approved_fields: list[str]
    row_filter: str
    titles: dict[str, str]  # data item name -> Chinese title
    all_fields: list[str]


@dataclass
class ApplicationView:
    app: AccessApplication
    number: str
    provider_name: str
    items: list[ItemView]
    deliveries: list[str]
    approved_deliveries: list[str]
    rounds: list[AcceptanceRound]
    attachments: list[ApplicationAttachment]
    agreement: UseAgreement | None
    signatures: dict[str, AgreementSignature]
    grants: list[Grant]
    results: list[UseResult]
    history: list[WorkflowHistory] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    is_applicant: bool = False
    actions: set[str] = field(default_factory=set)  # transitions the viewer may attempt now

    def reasons_of(self, round_: AcceptanceRound) -> list[str]:
        return json.loads(round_.reasons)


def _all(session: Session, stmt: Any) -> list[Any]:
    return list(session.execute(stmt).scalars())


@query(AUTHENTICATED)
def application_view(session: Session, principal: Principal, app_id: int) -> ApplicationView:
    app = load_application(session, principal, app_id)
    rows = items_of(session, app)
    known = datasets(session, [i.entry_id for i in rows])
    items = [ItemView(i.entry_id, known[i.entry_id].name, known[i.entry_id].slug, json.loads(i.fields),
                      json.loads(i.approved_fields), i.row_filter, known[i.entry_id].titles,
                      known[i.entry_id].names) for i in rows]
    agreement = session.execute(select(UseAgreement).where(UseAgreement.application_id == app.id)
                                ).scalar_one_or_none()
    signatures = {}
    if agreement is not None:
        signatures = {s.side: s for s in _all(session, select(AgreementSignature).where(
            AgreementSignature.agreement_id == agreement.id))}
    is_applicant = principal.user_id == app.applicant_user_id
    actions = {t.name for t in APPLICATION.available(principal, app.status, app_org(app))}
    if not is_applicant:
        actions -= APPLICANT_MOVES
    provider = organisation_info(session, app.provider_org_id)
    return ApplicationView(
        app=app, number=app.number, provider_name=provider.name if provider else "", items=items,
        deliveries=json.loads(app.deliveries), approved_deliveries=json.loads(app.approved_deliveries),
        rounds=_all(session, select(AcceptanceRound).where(AcceptanceRound.application_id == app.id)
                    .order_by(AcceptanceRound.round)),
        attachments=_all(session, select(ApplicationAttachment).where(ApplicationAttachment.application_id == app.id)
                         .order_by(ApplicationAttachment.id)),
        agreement=agreement, signatures=signatures,
        grants=_all(session, select(Grant).where(Grant.application_id == app.id).order_by(Grant.id)),
        results=_all(session, select(UseResult).where(UseResult.application_id == app.id).order_by(UseResult.id)),
        history=history(session, app), missing=missing_elements(session, app, rows) if is_applicant else [],
        is_applicant=is_applicant, actions=actions,
    )


@query(AUTHENTICATED)
def attachment_for(session: Session, principal: Principal, app_id: int, attachment_id: int) -> ApplicationAttachment:
    app = load_application(session, principal, app_id)
    row = session.get(ApplicationAttachment, attachment_id)
    if row is None or row.application_id != app.id:
        raise NotFound()
    return row


@query(AUTHENTICATED)
def my_applications(session: Session, principal: Principal, page: int = 1) -> Page[AccessApplication]:
    stmt = (select(AccessApplication).where(AccessApplication.applicant_user_id == principal.user_id)
            .order_by(AccessApplication.updated_at.desc(), AccessApplication.id.desc()))
    return paginate(session, stmt, page=page, per_page=20)


@dataclass(frozen=True)
class GrantView:
    grant: Grant
    entry_name: str
    slug: str
    deliveries: list[str]


@query(AUTHENTICATED)
def my_grants(session: Session, principal: Principal) -> list[GrantView]:
    grants = _all(session, select(Grant).where(Grant.grantee_user_id == principal.user_id).order_by(Grant.id.desc()))
    known = datasets(session, [g.entry_id for g in grants])
    return [GrantView(g, known[g.entry_id].name, known[g.entry_id].slug, json.loads(g.deliveries)) for g in grants]


# --- the staff's queues ------------------------------------------------------------------------------

@dataclass
class QueueItem:
    app: AccessApplication
    provider_name: str
    task: str  # msgid: what the viewer is to do
    overdue: bool


def _provider_signed() -> Exists:
    """SQL: the application's agreement carries the provider's signature."""
    return select(AgreementSignature.id).join(UseAgreement, UseAgreement.id == AgreementSignature.agreement_id).where(
        UseAgreement.application_id == AccessApplication.id, AgreementSignature.side == "provider").exists()


@query(Permission.ACCESS_READ)
def work_queue(session: Session, principal: Principal, now: dt.datetime | None = None) -> list[QueueItem]:
    """What is waiting for this person: the bureau accepts submitted applications and watches overdue reviews;
    the provider reviews accepted applications and signs approved ones. Overdue first, then by due date."""
    now = now or utcnow()
    A = ApplicationState
    accepted = AccessApplication.status == A.ACCEPTED
    wanted: list[tuple[Permission, Any, str]] = []
    if principal.can(Permission.ACCESS_ACCEPT):
        wanted.append((Permission.ACCESS_ACCEPT, AccessApplication.status == A.SUBMITTED,
                       "Check the materials and accept"))
        wanted.append((Permission.ACCESS_ACCEPT, and_(accepted, AccessApplication.due_at <= now),
                       "Overdue review: follow up with the provider"))
    if principal.can(Permission.ACCESS_REVIEW):
        wanted.append((Permission.ACCESS_REVIEW, accepted, "Review within 10 working days"))
        wanted.append((Permission.ACCESS_REVIEW, and_(AccessApplication.status == A.APPROVED, ~_provider_signed()),
                       "Sign the use agreement for the provider"))
    out: dict[int, QueueItem] = {}
    names: dict[int, str] = {}
    for perm, condition, task in wanted:
        stmt = select(AccessApplication).where(condition, reach(principal, perm, AccessApplication.provider_org_id,
                                                                 AccessApplication.region_code))
        for app in session.execute(stmt.limit(500)).scalars():
            if app.id not in out:
                if app.provider_org_id not in names:
                    org = organisation_info(session, app.provider_org_id)
                    names[app.provider_org_id] = org.name if org else ""
                out[app.id] = QueueItem(app, names[app.provider_org_id], task,
                                        app.due_at is not None and app.due_at <= now)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(out.values(), key=lambda q: (not q.overdue, q.app.due_at or far, q.app.id))


@query(Permission.ACCESS_READ)
def list_applications(session: Session, principal: Principal, status: str = "", page: int = 1
                      ) -> Page[AccessApplication]:
    """Every submitted application of the providers this person reaches (drafts stay the applicant's), those
    with a deadline first."""
    stmt = select(AccessApplication).where(
        AccessApplication.status != ApplicationState.DRAFT,
        reach(principal, Permission.ACCESS_READ, AccessApplication.provider_org_id, AccessApplication.region_code))
    if status:
        stmt = stmt.where(AccessApplication.status == status)
    stmt = stmt.order_by(case((AccessApplication.due_at.is_(None), 1), else_=0), AccessApplication.due_at,
                         AccessApplication.updated_at.desc())
    return paginate(session, stmt, page=page, per_page=30)


# --- requests ----------------------------------------------------------------------------------------

@query(AUTHENTICATED)
def my_requests(session: Session, principal: Principal) -> list[DataRequest]:
    return _all(session, select(DataRequest).where(DataRequest.requester_user_id == principal.user_id)
                .order_by(DataRequest.id.desc()).limit(200))


@query(AUTHENTICATED)
def request_view(session: Session, principal: Principal, req_id: int
                 ) -> tuple[DataRequest, list[WorkflowHistory], set[str]]:
    req = load_request(session, principal, req_id)
    actions = {t.name for t in DATA_REQUEST.available(principal, req.status, request_org(session, req))}
    return req, history(session, req), actions


@query(Permission.ACCESS_READ)
def request_queue(session: Session, principal: Principal) -> list[DataRequest]:
    """Requests waiting for routing (the bureau) or for an answer (the agency), overdue first."""
    conds = []
    if principal.can(Permission.ACCESS_ACCEPT):
        conds.append(DataRequest.status.in_(REQUEST_OPEN)
                     & reach(principal, Permission.ACCESS_ACCEPT, DataRequest.routed_org_id, DataRequest.region_code))
    orgs = principal.org_ids_for(Permission.ACCESS_REVIEW)
    if orgs:
        conds.append((DataRequest.status == RequestState.ROUTED) & DataRequest.routed_org_id.in_(orgs))
    if not conds:
        return []
    stmt = select(DataRequest).where(or_(*conds)).order_by(
        case((DataRequest.due_at.is_(None), 1), else_=0), DataRequest.due_at, DataRequest.id).limit(500)
    return _all(session, stmt)


# --- results and sanctions ---------------------------------------------------------------------------

@query(PUBLIC)
def results_for_entry(session: Session, principal: Principal, entry_id: int, limit: int = 20) -> list[UseResult]:
    """A24.2: the results of use reported under agreements that granted this dataset."""
    stmt = (select(UseResult).join(Grant, Grant.application_id == UseResult.application_id)
            .where(Grant.entry_id == entry_id).order_by(UseResult.id.desc()).limit(limit))
    return _all(session, stmt)


@query(PUBLIC)
def public_sanctions(session: Session, principal: Principal) -> list[Sanction]:
    """A34.1: the sanctions published on the platform."""
    return _all(session, select(Sanction).where(Sanction.public.is_(True))
                .order_by(Sanction.starts_at.desc()).limit(200))


@query(Permission.ACCESS_SANCTION)
def list_sanctions(session: Session, principal: Principal) -> list[Sanction]:
    """The sanctions of the providers this person reaches (every one, platform-wide ones too, for the city
    bureau)."""
    stmt = select(Sanction).order_by(Sanction.lifted_at.is_not(None), Sanction.starts_at.desc()).limit(500)
    if not principal.reaches_everything(Permission.ACCESS_SANCTION):
        orgs = set(principal.org_ids_for(Permission.ACCESS_SANCTION))
        orgs |= set(organisations_in(session, principal.regions_for(Permission.ACCESS_SANCTION)))
        stmt = stmt.where(Sanction.org_id.in_(sorted(orgs) or [-1]))
    return _all(session, stmt)


@query(AUTHENTICATED)
def my_sanctions(session: Session, principal: Principal) -> list[Sanction]:
    return sanctions_in_force(session, principal.user_id) if principal.user_id else []
