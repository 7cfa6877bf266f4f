"""Applications for conditional data (A20.1-A20.3): the applicant's drafts, attachments, submission and
withdrawal; the bureau's acceptance or not (every reason at once); the provider's approval (which makes the use
agreement) or refusal. Each service is one transaction; every move goes through
``kaifang.workflow.transition()`` (history row and audit event), and the people concerned are told after it."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.access.agreements import make_agreement
from kaifang.access.models import (
    AcceptanceRound,
    AccessApplication,
    ApplicationAttachment,
    ApplicationItem,
    UseAgreement,
)
from kaifang.access.policy import app_org, application_link, load_application, own_application, refuse_if_sanctioned
from kaifang.access.rules import (
    MAX_ATTACHMENTS,
    ONE_PROVIDER,
    check_approval,
    check_attachment,
    clean_application,
    items_of,
    missing_elements,
    snapshot,
)
from kaifang.access.schemas import NOT_ACCEPTED_REASONS, ApplicationInput, ApprovalInput
from kaifang.access.workflow import APPLICATION, EDITABLE, ApplicationState
from kaifang.accounts import bureau_people, organisation_info, provider_people, user_label
from kaifang.audit import canonical_json, record
from kaifang.clock import LOCAL_TZ
from kaifang.db import utcnow
from kaifang.errors import BusinessRuleError, NotFound, ValidationErrors
from kaifang.notify import notify
from kaifang.security import AUTHENTICATED, Permission, Principal, authorize, service
from kaifang.workflow import transition

FROZEN = "A submitted application cannot be changed."


def _editable(app: AccessApplication) -> None:
    if app.status not in EDITABLE:
        raise BusinessRuleError(FROZEN)


# --- the applicant: drafts and attachments (A20.1) -----------------------------------------------------

def _store_items(session: Session, app: AccessApplication, items: list[tuple[int, list[str]]]) -> None:
    existing = {i.entry_id: i for i in items_of(session, app)}
    wanted = {entry_id for entry_id, _ in items}
    for entry_id, row in existing.items():
        if entry_id not in wanted:
            session.delete(row)
    for entry_id, names in items:
        row = existing.get(entry_id) or ApplicationItem(application_id=app.id, entry_id=entry_id)
        session.add(row)
        row.fields = json.dumps(names, ensure_ascii=False)
    session.flush()


@service(AUTHENTICATED)
def save_application(session: Session, principal: Principal, app_id: int | None,
                     data: ApplicationInput) -> AccessApplication:
    """A20.1: create or change a draft (or an application sent back as not accepted). A submitted
    application is frozen."""
    if principal.user_id is None:
        raise NotFound()
    clean = clean_application(session, data)
    now = utcnow()
    if app_id is None:
        if clean.provider is None:
            raise ValidationErrors({"items": "Choose at least one conditionally open dataset."})
        refuse_if_sanctioned(session, principal.user_id, clean.provider)
        provider = organisation_info(session, clean.provider)
        assert provider is not None  # a published entry's provider exists
        app = AccessApplication(applicant_user_id=principal.user_id, provider_org_id=provider.id,
                                region_code=provider.region_code, status=ApplicationState.DRAFT,
                                applicant_label=user_label(session, principal.user_id) or principal.label,
                                created_at=now, updated_at=now, **clean.values)
        session.add(app)
        session.flush()
        action, before = "access.application_created", None
    else:
        app = own_application(session, principal, app_id)
        _editable(app)
        if clean.provider is not None and clean.provider != app.provider_org_id:
            raise ValidationErrors({"items": ONE_PROVIDER})
        before = snapshot(session, app)
        for key, value in clean.values.items():
            setattr(app, key, value)
        app.updated_at = now
        action = "access.application_changed"
    _store_items(session, app, clean.items)
    record(session, principal, action, "access_application", app.id, before=before, after=snapshot(session, app))
    return app


@service(AUTHENTICATED)
def add_attachment(session: Session, principal: Principal, app_id: int, filename: str,
                   content: bytes) -> ApplicationAttachment:
    """A20.1: a supporting document, type checked on name and content, at most 10 MB, at most 10 per application."""
    app = own_application(session, principal, app_id)
    _editable(app)
    name, content_type = check_attachment(filename, content)
    count = session.execute(select(func.count()).select_from(ApplicationAttachment)
                            .where(ApplicationAttachment.application_id == app.id)).scalar_one()
    if count >= MAX_ATTACHMENTS:
        raise BusinessRuleError("An application has at most %(n)s attachments.", field="attachment", n=MAX_ATTACHMENTS)
    digest = hashlib.sha256(content).hexdigest()
    rel = Path("access") / str(app.id) / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    target = session.info["settings"].files_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.write_bytes(content)
    part.rename(target)  # complete or absent
    row = ApplicationAttachment(application_id=app.id, filename=name, content_type=content_type, size=len(content),
                                sha256=digest, path=str(rel), uploaded_at=utcnow())
    session.add(row)
    session.flush()
    record(session, principal, "access.attachment_added", "access_application", app.id,
           after={"filename": name, "size": len(content), "sha256": digest})
    return row


@service(AUTHENTICATED)
def remove_attachment(session: Session, principal: Principal, app_id: int, attachment_id: int) -> None:
    app = own_application(session, principal, app_id)
    _editable(app)
    row = session.get(ApplicationAttachment, attachment_id)
    if row is None or row.application_id != app.id:
        raise NotFound()
    session.delete(row)
    record(session, principal, "access.attachment_removed", "access_application", app.id,
           before={"filename": row.filename, "sha256": row.sha256})


# --- the applicant: submission and withdrawal (A20.1, A20.2) -------------------------------------------

@service(AUTHENTICATED)
def submit_application(session: Session, principal: Principal, app_id: int) -> AccessApplication:
    """A20.1, A20.2: freeze the application and send it to the bureau. A corrected application that was not
    accepted is submitted again the same way: each submission is a new acceptance round."""
    app = own_application(session, principal, app_id)
    missing = missing_elements(session, app)
    if missing and app.status in EDITABLE:
        raise BusinessRuleError("The application cannot be submitted yet: %(fields)s missing.", fields=missing)
    assert principal.user_id is not None  # own_application found it theirs
    refuse_if_sanctioned(session, principal.user_id, app.provider_org_id)
    name = "resubmit" if app.status == ApplicationState.NOT_ACCEPTED else "submit"
    transition(session, principal, APPLICATION, app, name, org=app_org(app))
    now = utcnow()
    app.round += 1
    app.submitted_at = app.updated_at = now
    session.add(AcceptanceRound(application_id=app.id, round=app.round, submitted_at=now,
                                snapshot=canonical_json(snapshot(session, app))))
    notify(session, bureau_people(session, app.region_code), "New application for conditional data: %(title)s",
           application_link(app, True), title=app.title)
    return app


@service(AUTHENTICATED)
def withdraw_application(session: Session, principal: Principal, app_id: int, note: str = "") -> AccessApplication:
    app = own_application(session, principal, app_id)
    transition(session, principal, APPLICATION, app, "withdraw", org=app_org(app), note=note)
    _close_round(session, app, "withdrawn", principal, [], note)
    app.updated_at = utcnow()
    return app


def _close_round(session: Session, app: AccessApplication, outcome: str, principal: Principal, reasons: list[str],
                 note: str) -> None:
    row = session.execute(select(AcceptanceRound).where(AcceptanceRound.application_id == app.id,
                                                        AcceptanceRound.round == app.round)).scalar_one_or_none()
    if row is None or row.outcome is not None:
        return
    row.outcome, row.reasons, row.note = outcome, json.dumps(reasons), note.strip()
    row.decided_by_label, row.decided_at = principal.label, utcnow()


# --- the bureau: acceptance (A20.2) --------------------------------------------------------------------

@service(Permission.ACCESS_ACCEPT)
def accept_application(session: Session, principal: Principal, app_id: int, note: str = "") -> AccessApplication:
    """A20.2: the materials are complete: accepted and passed to the provider, whose 10 working days (A20.3)
    start now."""
    app = load_application(session, principal, app_id)
    transition(session, principal, APPLICATION, app, "accept", org=app_org(app), note=note)
    _close_round(session, app, "accepted", principal, [], note)
    app.updated_at = utcnow()
    due = app.due_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if app.due_at else ""
    notify(session, provider_people(session, app.provider_org_id),
           "Application accepted, please review it by %(due)s: %(title)s", application_link(app, True),
           title=app.title, due=due)
    notify(session, [app.applicant_user_id], "Your application has been accepted and passed to the provider: "
           "%(title)s", application_link(app, False), title=app.title)
    return app


@service(Permission.ACCESS_ACCEPT)
def not_accept_application(session: Session, principal: Principal, app_id: int, reasons: list[str],
                           note: str = "") -> AccessApplication:
    """A20.2: incomplete: not accepted, with every reason at once (一次性告知). The applicant may correct the
    application and submit it again."""
    app = load_application(session, principal, app_id)
    authorize(principal, Permission.ACCESS_ACCEPT, app_org(app))
    codes = [r for r in dict.fromkeys(reasons) if r]
    if not codes:
        raise BusinessRuleError("Tick every reason that applies (at least one).", field="reasons")
    if any(c not in NOT_ACCEPTED_REASONS for c in codes):
        raise BusinessRuleError("Unknown reason.", field="reasons")
    if "other" in codes and not note.strip():
        raise BusinessRuleError("Explain the other reason in the note.", field="note")
    transition(session, principal, APPLICATION, app, "not_accept", org=app_org(app), note=note, reasons=codes)
    _close_round(session, app, "not_accepted", principal, codes, note)
    app.updated_at = utcnow()
    notify(session, [app.applicant_user_id], "Your application was not accepted; correct it and submit it again: "
           "%(title)s", application_link(app, False), title=app.title)
    return app


# --- the provider: review (A20.3) -----------------------------------------------------------------------

@service(Permission.ACCESS_REVIEW)
def approve_application(session: Session, principal: Principal, app_id: int, data: ApprovalInput) -> UseAgreement:
    """A20.3: approval states the purpose and the scope of use (data items, rows, deliveries) and the period.
    The use agreement (A21.1) is generated from the current template and waits for both signatures."""
    app = load_application(session, principal, app_id)
    authorize(principal, Permission.ACCESS_REVIEW, app_org(app))
    scope, errors = check_approval(session, app, data)
    if app.status != ApplicationState.ACCEPTED:  # the state rule first, so approving twice says so
        transition(session, principal, APPLICATION, app, "approve", org=app_org(app))
    if errors:
        raise ValidationErrors(errors)
    assert data.period_start is not None and data.period_end is not None  # checked with the rest
    for row, names, row_filter in scope.items:
        row.approved_fields, row.row_filter = json.dumps(names, ensure_ascii=False), row_filter
    app.approved_purpose, app.approved_deliveries = scope.purpose, json.dumps(scope.deliveries)
    app.approved_start, app.approved_end = data.period_start, data.period_end
    app.decided_by_label, app.decided_at = principal.label, utcnow()
    app.updated_at = app.decided_at
    transition(session, principal, APPLICATION, app, "approve", org=app_org(app), purpose=scope.purpose,
               deliveries=scope.deliveries, start=data.period_start.isoformat(), end=data.period_end.isoformat(),
               items=[{"entry_id": r.entry_id, "fields": n, "row_filter": f} for r, n, f in scope.items])
    made = make_agreement(session, app)
    notify(session, [app.applicant_user_id], "Your application has been approved: sign the use agreement. "
           "%(title)s", application_link(app, False), title=app.title)
    return made


@service(Permission.ACCESS_REVIEW)
def refuse_application(session: Session, principal: Principal, app_id: int, reasons: str,
                       legal_basis: str) -> AccessApplication:
    """A20.3: a refusal states its reasons and the legal basis."""
    app = load_application(session, principal, app_id)
    authorize(principal, Permission.ACCESS_REVIEW, app_org(app))
    errors = {}
    if not reasons.strip():
        errors["reasons"] = "State the reasons for the refusal."
    if not legal_basis.strip():
        errors["legal_basis"] = "State the legal basis of the refusal."
    if app.status != ApplicationState.ACCEPTED:
        transition(session, principal, APPLICATION, app, "refuse", org=app_org(app))
    if errors:
        raise ValidationErrors(errors)
    app.refusal_reasons, app.legal_basis = reasons.strip(), legal_basis.strip()
    app.decided_by_label, app.decided_at = principal.label, utcnow()
    app.updated_at = app.decided_at
    transition(session, principal, APPLICATION, app, "refuse", org=app_org(app), note=reasons,
               legal_basis=app.legal_basis)
    notify(session, [app.applicant_user_id], "Your application has been refused: %(title)s",
           application_link(app, False), title=app.title)
    return app
