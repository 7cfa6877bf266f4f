"""Conditional-access reads: the grants the data engine's access decision takes (A20.4), the applicant's and the
staff's views of applications, the queues of each role (overdue first), requests, results, sanctions and
notifications."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from kaifang.access.decision import Delivery, GrantScope
from kaifang.access.models import (
    AcceptanceRound,
    AccessApplication,
    AgreementSignature,
    ApplicationAttachment,
    ApplicationItem,
    DataRequest,
    Grant,
    Notification,
    Sanction,
    UseAgreement,
    UseResult,
)
from kaifang.access.services import (
    app_org,
    application_number,
    load_application,
    load_request,
    missing_elements,
    row_filters_of,
    sanctions_in_force,
)
from kaifang.access.workflow import APPLICATION, DATA_REQUEST
from kaifang.accounts.models import Organisation
from kaifang.catalog.models import CatalogEntry
from kaifang.catalog.queries import entry_access_info
from kaifang.datastore.engine import QueryError
from kaifang.pagination import Page, paginate
from kaifang.security import AUTHENTICATED, PUBLIC, OrgRef, Permission, Principal, query
from kaifang.workflow import history

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
        active = ok and g.state == "active" and None not in sanctioned and g.provider_org_id not in sanctioned
        deliveries = {Delivery(d) for d in json.loads(g.deliveries)}
        if deliveries & {Delivery.DOWNLOAD, Delivery.API}:
            deliveries.add(Delivery.PREVIEW)  # the dataset page shows the grantee the same granted rows
        out.append(GrantScope(g.id, g.grantee_user_id, g.entry_id, tuple(json.loads(g.columns)), tuple(filters),
                              frozenset(deliveries), g.starts_at, g.ends_at, active))
    return out


BOUND_KEY_ELSEWHERE = "This API key is bound to an approved application and reads only that application's data."
ACCESS_CLOSED = ("Your access to data has been closed by the data administration. "
                 "See the notice in your personal centre.")


@query(PUBLIC)
def read_refusal(session: Session, principal: Principal, entry_id: int) -> str | None:
    """A34.1, A20.4: a refusal that applies before the access decision, whatever the open class: the user's
    access is closed platform-wide, or the API key is bound to a grant on another dataset."""
    if principal.user_id is None:
        return None
    if any(s.org_id is None and s.kind == "close" for s in sanctions_in_force(session, principal.user_id)):
        return ACCESS_CLOSED
    if principal.bound_grant_id is not None:
        grant = session.get(Grant, principal.bound_grant_id)
        if grant is None or grant.entry_id != entry_id:
            return BOUND_KEY_ELSEWHERE
    return None


# --- applications ------------------------------------------------------------------------------------

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
    history: list = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    is_applicant: bool = False
    actions: set[str] = field(default_factory=set)  # transitions the viewer may attempt now

    def reasons_of(self, round_: AcceptanceRound) -> list[str]:
        return json.loads(round_.reasons)


@query(AUTHENTICATED)
def application_view(session: Session, principal: Principal, app_id: int) -> ApplicationView:
    app = load_application(session, principal, app_id)
    items = []
    rows = session.execute(select(ApplicationItem, CatalogEntry).join(
        CatalogEntry, CatalogEntry.id == ApplicationItem.entry_id).where(ApplicationItem.application_id == app.id)
        .order_by(ApplicationItem.id)).all()
    for item, entry in rows:
        schema = entry_access_info(session, entry.id).schema
        items.append(ItemView(entry.id, entry.name, entry.slug, json.loads(item.fields),
                              json.loads(item.approved_fields), item.row_filter,
                              {f.name: f.title for f in schema.fields}, schema.names()))
    agreement = session.execute(select(UseAgreement).where(UseAgreement.application_id == app.id)
                                ).scalar_one_or_none()
    signatures = {}
    if agreement is not None:
        signatures = {s.side: s for s in session.execute(select(AgreementSignature).where(
            AgreementSignature.agreement_id == agreement.id)).scalars()}
    is_applicant = principal.user_id == app.applicant_user_id
    actions = {t.name for t in APPLICATION.available(principal, app.status, app_org(app))}
    if not is_applicant:
        actions -= {"submit", "resubmit", "withdraw", "sign_applicant"}
    return ApplicationView(
        app=app, number=application_number(app),
        provider_name=session.get(Organisation, app.provider_org_id).name, items=items,
        deliveries=json.loads(app.deliveries), approved_deliveries=json.loads(app.approved_deliveries),
        rounds=list(session.execute(select(AcceptanceRound).where(AcceptanceRound.application_id == app.id)
                                    .order_by(AcceptanceRound.round)).scalars()),
        attachments=list(session.execute(select(ApplicationAttachment).where(
            ApplicationAttachment.application_id == app.id).order_by(ApplicationAttachment.id)).scalars()),
        agreement=agreement, signatures=signatures,
        grants=list(session.execute(select(Grant).where(Grant.application_id == app.id).order_by(Grant.id)).scalars()),
        results=list(session.execute(select(UseResult).where(UseResult.application_id == app.id)
                                     .order_by(UseResult.id)).scalars()),
        history=history(session, app), missing=missing_elements(session, app) if is_applicant else [],
        is_applicant=is_applicant, actions=actions,
    )


@query(AUTHENTICATED)
def attachment_for(session: Session, principal: Principal, app_id: int, attachment_id: int) -> ApplicationAttachment:
    from kaifang.security import NotFound

    app = load_application(session, principal, app_id)
    row = session.get(ApplicationAttachment, attachment_id)
    if row is None or row.application_id != app.id:
        raise NotFound()
    return row


@query(AUTHENTICATED)
def my_applications(session: Session, principal: Principal, page: int = 1) -> Page:
    stmt = (select(AccessApplication).where(AccessApplication.applicant_user_id == principal.user_id)
            .order_by(AccessApplication.updated_at.desc(), AccessApplication.id.desc()))
    return paginate(session, stmt, page=page, per_page=20)


@query(AUTHENTICATED)
def my_grants(session: Session, principal: Principal) -> list[tuple[Grant, CatalogEntry]]:
    rows = session.execute(select(Grant, CatalogEntry).join(CatalogEntry, CatalogEntry.id == Grant.entry_id)
                           .where(Grant.grantee_user_id == principal.user_id).order_by(Grant.id.desc())).all()
    return [(g, e) for g, e in rows]


def _reach(principal: Principal, perm: Permission, org_col, region_col):
    """SQL condition: the rows of the organisations ``perm`` reaches."""
    if principal.reaches_everything(perm):
        return None
    conds = []
    orgs, regions = principal.org_ids_for(perm), principal.regions_for(perm)
    if orgs:
        conds.append(org_col.in_(orgs))
    if regions:
        conds.append(region_col.in_(regions))
    return or_(*conds) if conds else org_col.in_([-1])


@dataclass
class QueueItem:
    app: AccessApplication
    provider_name: str
    task: str  # msgid: what the viewer is to do
    overdue: bool


@query(Permission.ACCESS_READ)
def work_queue(session: Session, principal: Principal, now: dt.datetime | None = None) -> list[QueueItem]:
    """What is waiting for this person: the bureau accepts submitted applications and watches overdue reviews;
    the provider reviews accepted applications and signs approved ones. Overdue first, then by due date."""
    from kaifang.db import utcnow

    now = now or utcnow()
    wanted: list[tuple] = []
    if principal.can(Permission.ACCESS_ACCEPT):
        wanted.append((Permission.ACCESS_ACCEPT, "submitted", "Check the materials and accept"))
        wanted.append((Permission.ACCESS_ACCEPT, "accepted_overdue", "Overdue review: follow up with the provider"))
    if principal.can(Permission.ACCESS_REVIEW):
        wanted.append((Permission.ACCESS_REVIEW, "accepted", "Review within 10 working days"))
        wanted.append((Permission.ACCESS_REVIEW, "approved", "Sign the use agreement for the provider"))
    out: dict[int, QueueItem] = {}
    for perm, state, task in wanted:
        stmt = select(AccessApplication, Organisation.name).join(
            Organisation, Organisation.id == AccessApplication.provider_org_id)
        if state == "accepted_overdue":
            stmt = stmt.where(AccessApplication.status == "accepted", AccessApplication.due_at <= now)
        else:
            stmt = stmt.where(AccessApplication.status == state)
        cond = _reach(principal, perm, AccessApplication.provider_org_id, AccessApplication.region_code)
        if cond is not None:
            stmt = stmt.where(cond)
        for app, org_name in session.execute(stmt.limit(500)).all():
            if state == "approved" and _provider_signed(session, app.id):
                continue
            if app.id not in out:
                out[app.id] = QueueItem(app, org_name, task, app.due_at is not None and app.due_at <= now)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(out.values(), key=lambda q: (not q.overdue, q.app.due_at or far, q.app.id))


def _provider_signed(session: Session, app_id: int) -> bool:
    return session.execute(select(AgreementSignature.id).join(
        UseAgreement, UseAgreement.id == AgreementSignature.agreement_id)
        .where(UseAgreement.application_id == app_id, AgreementSignature.side == "provider")).first() is not None


@query(Permission.ACCESS_READ)
def list_applications(session: Session, principal: Principal, status: str = "", page: int = 1) -> Page:
    """Every submitted application of the providers this person reaches (drafts stay the applicant's), those
    with a deadline first."""
    stmt = select(AccessApplication).where(AccessApplication.status != "draft")
    cond = _reach(principal, Permission.ACCESS_READ, AccessApplication.provider_org_id, AccessApplication.region_code)
    if cond is not None:
        stmt = stmt.where(cond)
    if status:
        stmt = stmt.where(AccessApplication.status == status)
    stmt = stmt.order_by(case((AccessApplication.due_at.is_(None), 1), else_=0), AccessApplication.due_at,
                         AccessApplication.updated_at.desc())
    return paginate(session, stmt, page=page, per_page=30)


# --- requests ----------------------------------------------------------------------------------------

@query(AUTHENTICATED)
def my_requests(session: Session, principal: Principal) -> list[DataRequest]:
    return list(session.execute(select(DataRequest).where(DataRequest.requester_user_id == principal.user_id)
                                .order_by(DataRequest.id.desc()).limit(200)).scalars())


@query(AUTHENTICATED)
def request_view(session: Session, principal: Principal, req_id: int) -> tuple[DataRequest, list, set[str]]:
    req = load_request(session, principal, req_id)
    org = session.get(Organisation, req.routed_org_id) if req.routed_org_id else None
    ref = OrgRef(org.id, org.region_code) if org else OrgRef(0, req.region_code)
    actions = {t.name for t in DATA_REQUEST.available(principal, req.status, ref)}
    return req, history(session, req), actions


@query(Permission.ACCESS_READ)
def request_queue(session: Session, principal: Principal) -> list[DataRequest]:
    """Requests waiting for routing (the bureau) or for an answer (the agency), overdue first."""
    conds = []
    if principal.can(Permission.ACCESS_ACCEPT):
        if principal.reaches_everything(Permission.ACCESS_ACCEPT):
            conds.append(DataRequest.status.in_(("submitted", "routed")))
        else:
            conds.append((DataRequest.status.in_(("submitted", "routed")))
                         & DataRequest.region_code.in_(principal.regions_for(Permission.ACCESS_ACCEPT) or {"-"}))
    orgs = principal.org_ids_for(Permission.ACCESS_REVIEW)
    if orgs:
        conds.append((DataRequest.status == "routed") & DataRequest.routed_org_id.in_(orgs))
    if not conds:
        return []
    stmt = select(DataRequest).where(or_(*conds)).order_by(
        case((DataRequest.due_at.is_(None), 1), else_=0), DataRequest.due_at, DataRequest.id).limit(500)
    return list(session.execute(stmt).scalars())


# --- results, sanctions, notifications --------------------------------------------------------------

@query(PUBLIC)
def results_for_entry(session: Session, principal: Principal, entry_id: int, limit: int = 20) -> list[UseResult]:
    """A24.2: the results of use reported under agreements that granted this dataset."""
    stmt = (select(UseResult).join(Grant, Grant.application_id == UseResult.application_id)
            .where(Grant.entry_id == entry_id).order_by(UseResult.id.desc()).limit(limit))
    return list(session.execute(stmt).scalars())


@query(PUBLIC)
def public_sanctions(session: Session, principal: Principal) -> list[Sanction]:
    """A34.1: the sanctions published on the platform."""
    return list(session.execute(select(Sanction).where(Sanction.public.is_(True))
                                .order_by(Sanction.starts_at.desc()).limit(200)).scalars())


@query(Permission.ACCESS_SANCTION)
def list_sanctions(session: Session, principal: Principal) -> list[Sanction]:
    stmt = select(Sanction).order_by(Sanction.lifted_at.is_not(None), Sanction.starts_at.desc()).limit(500)
    if not principal.reaches_everything(Permission.ACCESS_SANCTION):
        orgs = principal.org_ids_for(Permission.ACCESS_SANCTION)
        regions = principal.regions_for(Permission.ACCESS_SANCTION)
        region_orgs = select(Organisation.id).where(Organisation.region_code.in_(regions or {"-"}))
        stmt = stmt.where(or_(Sanction.org_id.in_(orgs or {-1}), Sanction.org_id.in_(region_orgs)))
    return list(session.execute(stmt).scalars())


@query(AUTHENTICATED)
def my_sanctions(session: Session, principal: Principal) -> list[Sanction]:
    return sanctions_in_force(session, principal.user_id) if principal.user_id else []


@query(AUTHENTICATED)
def my_notifications(session: Session, principal: Principal, page: int = 1) -> Page:
    stmt = (select(Notification).where(Notification.user_id == principal.user_id)
            .order_by(Notification.id.desc()))
    return paginate(session, stmt, page=page, per_page=30)


@query(AUTHENTICATED)
def unread_count(session: Session, principal: Principal) -> int:
    if principal.user_id is None:
        return 0
    return session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None))).scalar_one()


@query(Permission.ACCESS_SANCTION)
def user_for_email(session: Session, principal: Principal, email: str):
    """The account a sanction is to name (by its e-mail), or None."""
    from kaifang.accounts.models import User

    return session.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar_one_or_none()
