"""Conditional-access writes (A20-A24, A34.1): each service one transaction, every move of an application or a
request through ``kaifang.workflow.transition()`` (history row and audit event), notifications after it.

An application is visible to its applicant and to whoever holds ``access:applications:read`` over its
provider; anyone else is told it does not exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path
from urllib.parse import parse_qsl

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kaifang.access import agreement as agreement_text
from kaifang.access.models import (
    AcceptanceRound,
    AccessApplication,
    AgreementSignature,
    AgreementTemplate,
    ApplicationAttachment,
    ApplicationItem,
    DataRequest,
    Grant,
    Notification,
    Sanction,
    UseAgreement,
    UseResult,
)
from kaifang.access.notify import bureau_people, notify, provider_people
from kaifang.access.schemas import (
    DELIVERY_LABELS,
    NOT_ACCEPTED_REASONS,
    REQUEST_OUTCOMES,
    RESULT_KINDS,
    SANCTION_KINDS,
    ApplicationInput,
    ApprovalInput,
)
from kaifang.access.workflow import (
    APPLICATION,
    APPROVED,
    DATA_REQUEST,
    DRAFT,
    EXPIRED,
    IN_FORCE,
    NOT_ACCEPTED,
)
from kaifang.accounts.models import ApiKey, Organisation, User
from kaifang.audit import record
from kaifang.audit.chain import canonical_json
from kaifang.catalog.models import CatalogEntry
from kaifang.catalog.queries import entry_access_info
from kaifang.datastore.engine import Projection, QueryError, parse_query
from kaifang.db import utcnow
from kaifang.errors import ValidationErrors
from kaifang.security import (
    AUTHENTICATED,
    SYSTEM,
    BusinessRuleError,
    NotFound,
    OrgRef,
    Permission,
    Principal,
    authorize,
    query,
    service,
)
from kaifang.workdays import SHANGHAI
from kaifang.workflow import transition

MAX_ITEMS = 20
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_PERIOD_DAYS = 3 * 366  # a use period of at most three years
LONG_TEXT_LIMITS = {"reason": 5000, "results_form": 5000, "scenario": 5000}
# Supporting documents: the type is checked on the name and on the content's first bytes.
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),
}


def app_org(app: AccessApplication) -> OrgRef:
    return OrgRef(app.provider_org_id, app.region_code)


def _link(app: AccessApplication, console: bool) -> str:
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
    if app.status == DRAFT and not principal.is_system:
        raise NotFound()  # a draft is the applicant's own until submitted
    authorize(principal, Permission.ACCESS_READ, app_org(app), hide=True)
    return app


def _own(session: Session, principal: Principal, app_id: int) -> AccessApplication:
    app = session.get(AccessApplication, app_id)
    if app is None or principal.user_id is None or app.applicant_user_id != principal.user_id:
        raise NotFound()
    return app


# --- sanctions in force --------------------------------------------------------------------------------

def sanctions_in_force(session: Session, user_id: int) -> list[Sanction]:
    return list(session.execute(select(Sanction).where(Sanction.user_id == user_id,
                                                       Sanction.lifted_at.is_(None))).scalars())


def _refuse_if_sanctioned(session: Session, user_id: int, org_id: int) -> None:
    if any(s.org_id in (None, org_id) for s in sanctions_in_force(session, user_id)):
        raise BusinessRuleError("Your access to this provider's data has been restricted: you cannot apply for "
                                "it. See the notice in your personal centre.")


# --- the applicant: drafts, attachments, submission ----------------------------------------------------

def _clean_items(session: Session, data: ApplicationInput, errors: dict[str, str]) -> tuple[int | None, list]:
    """Each dataset published and conditionally open, all of one provider, the fields its data items."""
    provider: int | None = None
    items = []
    seen: set[int] = set()
    if len(data.items) > MAX_ITEMS:
        errors["items"] = "An application covers at most 20 datasets."
    for i, item in enumerate(data.items[:MAX_ITEMS]):
        entry = session.get(CatalogEntry, item.entry_id)
        if entry is None or entry.status != "published":
            errors[f"items.{i}.entry_id"] = "This dataset is not in the published catalog."
            continue
        if entry.open_class != "conditional":
            errors[f"items.{i}.entry_id"] = ("Only conditionally open datasets need an application; "
                                             "unconditionally open data can be used directly.")
            continue
        if item.entry_id in seen:
            errors[f"items.{i}.entry_id"] = "This dataset is listed twice."
            continue
        seen.add(item.entry_id)
        if provider is None:
            provider = entry.provider_org_id
        elif entry.provider_org_id != provider:
            errors[f"items.{i}.entry_id"] = ("All datasets of one application must come from the same provider: "
                                             "apply to each provider separately.")
            continue
        names = [n for n in dict.fromkeys(f.strip() for f in item.fields) if n]
        known = set(entry_access_info(session, entry.id).schema.names())
        unknown = [n for n in names if n not in known]
        if unknown:
            errors[f"items.{i}.fields"] = "A data item asked for is not part of this dataset."
        items.append((entry, names))
    return provider, items


def _validate(session: Session, data: ApplicationInput) -> tuple[dict, int | None, list]:
    errors: dict[str, str] = {}
    clean = {
        "title": " ".join(data.title.split())[:200], "reason": data.reason.strip(), "kind": data.kind,
        "results_form": data.results_form.strip(), "scenario": data.scenario.strip(),
        "commitment": bool(data.commitment), "period_start": data.period_start, "period_end": data.period_end,
    }
    for name, limit in LONG_TEXT_LIMITS.items():
        if len(clean[name]) > limit:
            errors[name] = "This text is too long: at most 5,000 characters."
    if data.kind not in ("dataset", "api"):
        errors["kind"] = "Choose what is applied for: a dataset or a data service API."
    deliveries = [d for d in dict.fromkeys(data.deliveries) if d]
    if any(d not in DELIVERY_LABELS for d in deliveries):
        errors["deliveries"] = "Unknown way of delivering data."
    clean["deliveries"] = json.dumps(deliveries)
    if data.period_start and data.period_end:
        if data.period_end < data.period_start:
            errors["period_end"] = "The period must end after it starts."
        elif (data.period_end - data.period_start).days > MAX_PERIOD_DAYS:
            errors["period_end"] = "The usage period may be at most three years."
    provider, items = _clean_items(session, data, errors)
    if errors:
        raise ValidationErrors(errors)
    return clean, provider, items


def _store_items(session: Session, app: AccessApplication, items: list) -> None:
    existing = {i.entry_id: i for i in session.execute(
        select(ApplicationItem).where(ApplicationItem.application_id == app.id)).scalars()}
    wanted = {entry.id for entry, _ in items}
    for entry_id, row in existing.items():
        if entry_id not in wanted:
            session.delete(row)
    for entry, names in items:
        row = existing.get(entry.id)
        if row is None:
            row = ApplicationItem(application_id=app.id, entry_id=entry.id)
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
    clean, provider, items = _validate(session, data)
    now = utcnow()
    if app_id is None:
        if provider is None:
            raise ValidationErrors({"items": "Choose at least one conditionally open dataset."})
        _refuse_if_sanctioned(session, principal.user_id, provider)
        org = session.get(Organisation, provider)
        user = session.get(User, principal.user_id)
        app = AccessApplication(applicant_user_id=principal.user_id, provider_org_id=provider,
                                region_code=org.region_code, applicant_label=_applicant_label(user),
                                status=DRAFT, created_at=now, updated_at=now, **clean)
        session.add(app)
        session.flush()
        action, before = "access.application_created", None
    else:
        app = _own(session, principal, app_id)
        if app.status not in (DRAFT, NOT_ACCEPTED):
            raise BusinessRuleError("A submitted application cannot be changed.")
        if provider is not None and provider != app.provider_org_id:
            raise ValidationErrors({"items": "All datasets of one application must come from the same provider: "
                                             "apply to each provider separately."})
        before = _snapshot(session, app)
        for key, value in clean.items():
            setattr(app, key, value)
        app.updated_at = now
        action = "access.application_changed"
    _store_items(session, app, items)
    record(session, principal, action, "access_application", app.id, before=before, after=_snapshot(session, app))
    return app


def _applicant_label(user: User) -> str:
    return f"{user.org_name}（{user.display_name}）" if user.org_name else user.display_name


def _snapshot(session: Session, app: AccessApplication) -> dict:
    items = session.execute(select(ApplicationItem).where(ApplicationItem.application_id == app.id)
                            .order_by(ApplicationItem.id)).scalars()
    files = session.execute(select(ApplicationAttachment).where(ApplicationAttachment.application_id == app.id)
                            .order_by(ApplicationAttachment.id)).scalars()
    return {
        "title": app.title, "reason": app.reason, "kind": app.kind, "deliveries": json.loads(app.deliveries),
        "period_start": app.period_start.isoformat() if app.period_start else None,
        "period_end": app.period_end.isoformat() if app.period_end else None,
        "results_form": app.results_form, "scenario": app.scenario, "commitment": app.commitment,
        "items": [{"entry_id": i.entry_id, "fields": json.loads(i.fields)} for i in items],
        "attachments": [{"filename": f.filename, "size": f.size, "sha256": f.sha256} for f in files],
    }


def missing_elements(session: Session, app: AccessApplication) -> list[str]:
    """A20.1: the elements a submission still lacks (English msgids of their labels)."""
    items = session.execute(select(ApplicationItem).where(ApplicationItem.application_id == app.id)).scalars().all()
    checks = [
        (app.title, "Title of the application"), (app.reason, "Reason"), (json.loads(app.deliveries), "Delivery"),
        (app.period_start and app.period_end, "Usage period"), (app.results_form, "Form of results"),
        (app.scenario, "Application scenario"), (app.commitment, "Commitment"),
        (items, "Datasets"), (items and all(json.loads(i.fields) for i in items), "Data items wanted"),
    ]
    return [label for value, label in checks if not value]


@service(AUTHENTICATED)
def add_attachment(session: Session, principal: Principal, app_id: int, filename: str,
                   content: bytes) -> ApplicationAttachment:
    """A20.1: a supporting document, type checked on name and content, at most 10 MB, at most 10 per application."""
    app = _own(session, principal, app_id)
    if app.status not in (DRAFT, NOT_ACCEPTED):
        raise BusinessRuleError("A submitted application cannot be changed.")
    name = Path(filename or "").name.strip()[:200]
    suffix = Path(name).suffix.lower()
    kind = ATTACHMENT_TYPES.get(suffix)
    if not name or kind is None:
        raise BusinessRuleError("Attach PDF, PNG, JPEG, DOCX, XLSX or OFD files only.", field="attachment")
    if not content:
        raise BusinessRuleError("The file is empty.", field="attachment")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise BusinessRuleError("An attachment may be at most %(mb)s MB.", field="attachment",
                                mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    if not content.startswith(kind[1]):
        raise BusinessRuleError("The file %(name)s is not really a %(suffix)s file.", field="attachment",
                                name=name, suffix=suffix.lstrip(".").upper())
    count = session.execute(select(func.count()).select_from(ApplicationAttachment)
                            .where(ApplicationAttachment.application_id == app.id)).scalar_one()
    if count >= MAX_ATTACHMENTS:
        raise BusinessRuleError("An application has at most %(n)s attachments.", field="attachment", n=MAX_ATTACHMENTS)
    digest = hashlib.sha256(content).hexdigest()
    rel = Path("access") / str(app.id) / f"{uuid.uuid4().hex}{suffix}"
    target = session.info["settings"].files_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.write_bytes(content)
    part.rename(target)  # complete or absent
    row = ApplicationAttachment(application_id=app.id, filename=name, content_type=kind[0], size=len(content),
                                sha256=digest, path=str(rel), uploaded_at=utcnow())
    session.add(row)
    session.flush()
    record(session, principal, "access.attachment_added", "access_application", app.id,
           after={"filename": name, "size": len(content), "sha256": digest})
    return row


@service(AUTHENTICATED)
def remove_attachment(session: Session, principal: Principal, app_id: int, attachment_id: int) -> None:
    app = _own(session, principal, app_id)
    if app.status not in (DRAFT, NOT_ACCEPTED):
        raise BusinessRuleError("A submitted application cannot be changed.")
    row = session.get(ApplicationAttachment, attachment_id)
    if row is None or row.application_id != app.id:
        raise NotFound()
    session.delete(row)
    record(session, principal, "access.attachment_removed", "access_application", app.id,
           before={"filename": row.filename, "sha256": row.sha256})


@service(AUTHENTICATED)
def submit_application(session: Session, principal: Principal, app_id: int) -> AccessApplication:
    """A20.1, A20.2: freeze the application and send it to the bureau. A corrected application that was not
    accepted is submitted again the same way: each submission is a new acceptance round."""
    app = _own(session, principal, app_id)
    missing = missing_elements(session, app)
    if missing and app.status in (DRAFT, NOT_ACCEPTED):
        raise BusinessRuleError("The application cannot be submitted yet: %(fields)s missing.", fields=missing)
    _refuse_if_sanctioned(session, principal.user_id, app.provider_org_id)
    name = "resubmit" if app.status == NOT_ACCEPTED else "submit"
    transition(session, principal, APPLICATION, app, name, org=app_org(app))
    now = utcnow()
    app.round += 1
    app.submitted_at = app.updated_at = now
    session.add(AcceptanceRound(application_id=app.id, round=app.round, submitted_at=now,
                                snapshot=canonical_json(_snapshot(session, app))))
    notify(session, bureau_people(session, app.region_code), "New application for conditional data: %(title)s",
           _link(app, True), title=app.title)
    return app


@service(AUTHENTICATED)
def withdraw_application(session: Session, principal: Principal, app_id: int, note: str = "") -> AccessApplication:
    app = _own(session, principal, app_id)
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
    due = app.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d") if app.due_at else ""
    notify(session, provider_people(session, app.provider_org_id),
           "Application accepted, please review it by %(due)s: %(title)s", _link(app, True), title=app.title, due=due)
    notify(session, [app.applicant_user_id], "Your application has been accepted and passed to the provider: "
           "%(title)s", _link(app, False), title=app.title)
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
           "%(title)s", _link(app, False), title=app.title)
    return app


# --- the provider: review (A20.3) and the agreement (A21.1) --------------------------------------------

def _approved_period(app: AccessApplication, data: ApprovalInput, errors: dict[str, str]) -> None:
    start, end = data.period_start, data.period_end
    if start is None:
        errors["period_start"] = "Give the first day of the approved period."
    if end is None:
        errors["period_end"] = "Give the last day of the approved period."
    if start and end:
        if end < start:
            errors["period_end"] = "The period must end after it starts."
        elif app.period_start and app.period_end and (start < app.period_start or end > app.period_end):
            errors["period_end"] = "The approved period must lie within the period applied for."
        elif end < dt.datetime.now(SHANGHAI).date():
            errors["period_end"] = "The approved period has already ended."


def row_filters_of(text: str, schema) -> tuple:
    """A row condition in the data API's filter syntax (``district=昆山市&employees__gte=10``), checked and typed
    against the dataset's data items. Raises ``QueryError`` naming the parameter at fault."""
    pairs = parse_qsl(text.strip().lstrip("?"), keep_blank_values=True)
    if any(k.startswith("_") for k, _ in pairs):
        bad = next(k for k, _ in pairs if k.startswith("_"))
        raise QueryError("Unknown parameter: %(param)s", bad, param=bad)
    return parse_query(pairs, schema, Projection()).filters if pairs else ()


def _approved_items(session: Session, app: AccessApplication, data: ApprovalInput,
                    errors: dict[str, str]) -> list[tuple[ApplicationItem, list[str], str]]:
    rows = {i.entry_id: i for i in session.execute(
        select(ApplicationItem).where(ApplicationItem.application_id == app.id)).scalars()}
    out = []
    for item in data.items:
        row = rows.get(item.entry_id)
        if row is None:
            errors[f"items.{item.entry_id}.fields"] = "This dataset is not part of the application."
            continue
        schema = entry_access_info(session, item.entry_id).schema
        names = [n for n in dict.fromkeys(item.fields) if n]
        asked = set(json.loads(row.fields))
        if any(n not in asked for n in names):
            errors[f"items.{item.entry_id}.fields"] = "Only data items that were applied for can be approved."
            continue
        if not names:
            continue  # nothing of this dataset approved
        try:
            row_filters_of(item.row_filter, schema)
        except QueryError as exc:
            errors[f"items.{item.entry_id}.row_filter"] = exc.as_message()
            continue
        out.append((row, names, item.row_filter.strip().lstrip("?")))
    if not out and not errors:
        errors["items"] = "Approve at least one data item, or refuse the application."
    return out


@service(Permission.ACCESS_REVIEW)
def approve_application(session: Session, principal: Principal, app_id: int, data: ApprovalInput) -> UseAgreement:
    """A20.3: approval states the purpose and the scope of use (data items, rows, deliveries) and the period.
    The use agreement (A21.1) is generated from the current template and waits for both signatures."""
    app = load_application(session, principal, app_id)
    authorize(principal, Permission.ACCESS_REVIEW, app_org(app))
    errors: dict[str, str] = {}
    purpose = data.purpose.strip()
    if not purpose:
        errors["purpose"] = "State the approved purpose of use."
    deliveries = [d for d in dict.fromkeys(data.deliveries) if d]
    if not deliveries:
        errors["deliveries"] = "Choose at least one way of delivering the data."
    elif any(d not in DELIVERY_LABELS for d in deliveries):
        errors["deliveries"] = "Unknown way of delivering data."
    _approved_period(app, data, errors)
    items = _approved_items(session, app, data, errors)
    if app.status != "accepted":  # the state rule first, so approving twice says so
        transition(session, principal, APPLICATION, app, "approve", org=app_org(app))
    if errors:
        raise ValidationErrors(errors)
    for row, names, row_filter in items:
        row.approved_fields, row.row_filter = json.dumps(names, ensure_ascii=False), row_filter
    app.approved_purpose, app.approved_deliveries = purpose, json.dumps(deliveries)
    app.approved_start, app.approved_end = data.period_start, data.period_end
    app.decided_by_label, app.decided_at = principal.label, utcnow()
    app.updated_at = app.decided_at
    scope = {"purpose": purpose, "deliveries": deliveries, "start": data.period_start.isoformat(),
             "end": data.period_end.isoformat(),
             "items": [{"entry_id": r.entry_id, "fields": n, "row_filter": f} for r, n, f in items]}
    transition(session, principal, APPLICATION, app, "approve", org=app_org(app), **scope)
    made = _make_agreement(session, app)
    notify(session, [app.applicant_user_id], "Your application has been approved: sign the use agreement. "
           "%(title)s", _link(app, False), title=app.title)
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
    if app.status != "accepted":
        transition(session, principal, APPLICATION, app, "refuse", org=app_org(app))
    if errors:
        raise ValidationErrors(errors)
    app.refusal_reasons, app.legal_basis = reasons.strip(), legal_basis.strip()
    app.decided_by_label, app.decided_at = principal.label, utcnow()
    app.updated_at = app.decided_at
    transition(session, principal, APPLICATION, app, "refuse", org=app_org(app), note=reasons,
               legal_basis=app.legal_basis)
    notify(session, [app.applicant_user_id], "Your application has been refused: %(title)s", _link(app, False),
           title=app.title)
    return app


def current_template(session: Session) -> tuple[int, str, dict[str, str]]:
    row = session.execute(select(AgreementTemplate).order_by(AgreementTemplate.version.desc())
                          .limit(1)).scalar_one_or_none()
    if row is None:
        return 0, agreement_text.DEFAULT_TITLE, dict(agreement_text.DEFAULT_CLAUSES)
    return row.version, row.title, json.loads(row.clauses)


def _dataset_lines(session: Session, app: AccessApplication) -> str:
    lines = []
    rows = session.execute(select(ApplicationItem, CatalogEntry).join(CatalogEntry,
                           CatalogEntry.id == ApplicationItem.entry_id)
                           .where(ApplicationItem.application_id == app.id).order_by(ApplicationItem.id)).all()
    for item, entry in rows:
        fields = json.loads(item.approved_fields)
        if not fields:
            continue
        titles = {f.name: f.title for f in entry_access_info(session, entry.id).schema.fields}
        names = "、".join(f"{titles.get(n) or n}（{n}）" for n in fields)
        rows_text = f"；数据范围：{item.row_filter}" if item.row_filter else "；数据范围：全部记录"
        lines.append(f"{entry.name}（{entry.slug}）：数据项 {names}{rows_text}")
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


_DELIVERY_ZH = {"download": "数据下载", "api": "数据服务接口", "analysis": "算法模型分析结果"}


def _make_agreement(session: Session, app: AccessApplication) -> UseAgreement:
    version, title, clauses = current_template(session)
    provider = session.get(Organisation, app.provider_org_id)
    values = {
        "applicant": app.applicant_label, "provider": provider.name, "application_no": application_number(app),
        "title": app.title, "purpose": app.approved_purpose, "datasets": _dataset_lines(session, app),
        "deliveries": "、".join(_DELIVERY_ZH[d] for d in json.loads(app.approved_deliveries)),
        "start": app.approved_start.isoformat(), "end": app.approved_end.isoformat(),
    }
    text = agreement_text.render(title, clauses, values)
    existing = session.execute(select(UseAgreement).where(UseAgreement.application_id == app.id)).scalar_one_or_none()
    if existing is not None:
        raise BusinessRuleError("This application already has a use agreement.")
    row = UseAgreement(application_id=app.id, template_version=version, text=text,
                       sha256=agreement_text.digest(text), created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def application_number(app: AccessApplication) -> str:
    return f"SQ{app.created_at.astimezone(SHANGHAI):%Y}{app.id:06d}"


@service(AUTHENTICATED)
def sign_agreement(session: Session, principal: Principal, app_id: int, side: str, sha256: str) -> UseAgreement:
    """A21.1: one side signs the exact text it was shown (its SHA-256 must match). When both have signed,
    the agreement is in force and the grants start (A20.4)."""
    app = load_application(session, principal, app_id)
    name = {"applicant": "sign_applicant", "provider": "sign_provider"}.get(side)
    if name is None:
        raise BusinessRuleError("Unknown side of the agreement.", field="side")
    agreement = session.execute(select(UseAgreement).where(UseAgreement.application_id == app.id)
                                ).scalar_one_or_none()
    if agreement is None:
        transition(session, principal, APPLICATION, app, name, org=app_org(app))  # explains the state
        raise BusinessRuleError("There is no agreement to sign yet.")
    signed = {s.side for s in session.execute(select(AgreementSignature).where(
        AgreementSignature.agreement_id == agreement.id)).scalars()}
    if side in signed and app.status == APPROVED:
        raise BusinessRuleError("This side has already signed the agreement.")
    if sha256.strip().lower() != agreement.sha256 and app.status == APPROVED:
        raise BusinessRuleError("The agreement you signed is not the current text: reload the page, read it and "
                                "sign again.", field="sha256")
    transition(session, principal, APPLICATION, app, name, org=app_org(app), sha256=agreement.sha256)
    org_name = ""
    if side == "provider":
        org_name = session.get(Organisation, app.provider_org_id).name
    session.add(AgreementSignature(agreement_id=agreement.id, side=side, user_id=principal.user_id,
                                   label=principal.label, org_name=org_name, sha256=agreement.sha256,
                                   signed_at=utcnow()))
    session.flush()
    if signed | {side} == {"applicant", "provider"}:
        _take_effect(session, app, agreement)
    else:
        other = provider_people(session, app.provider_org_id) if side == "applicant" else [app.applicant_user_id]
        notify(session, other, "The other side has signed the use agreement; your signature is awaited: %(title)s",
               _link(app, side == "applicant"), title=app.title)
    return agreement


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI).astimezone(dt.UTC)


def _take_effect(session: Session, app: AccessApplication, agreement: UseAgreement) -> None:
    """A21.1: access starts when both sides have signed and ends when the period ends (24:00 of its last day)."""
    now = utcnow()
    transition(session, SYSTEM, APPLICATION, app, "take_effect", org=app_org(app))
    agreement.in_force_at = now
    starts = max(now, _day_start(app.approved_start))
    ends = _day_start(app.approved_end + dt.timedelta(days=1))
    deliveries = app.approved_deliveries
    for item in session.execute(select(ApplicationItem).where(ApplicationItem.application_id == app.id)).scalars():
        if not json.loads(item.approved_fields):
            continue
        grant = Grant(application_id=app.id, grantee_user_id=app.applicant_user_id, entry_id=item.entry_id,
                      provider_org_id=app.provider_org_id, columns=item.approved_fields, row_filter=item.row_filter,
                      deliveries=deliveries, starts_at=starts, ends_at=ends, state="active", created_at=now)
        session.add(grant)
        session.flush()
        record(session, SYSTEM, "access.grant_started", "access_grant", grant.id, after={
            "application_id": app.id, "entry_id": item.entry_id, "columns": json.loads(item.approved_fields),
            "row_filter": item.row_filter, "deliveries": json.loads(deliveries), "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat()})
    notify(session, [app.applicant_user_id], "The use agreement is in force: you can now get the approved data. "
           "%(title)s", _link(app, False), title=app.title)
    notify(session, provider_people(session, app.provider_org_id), "The use agreement is in force: %(title)s",
           _link(app, True), title=app.title)


def _set_grants(session: Session, principal: Principal, grants: list[Grant], state: str, reason: str) -> None:
    now = utcnow()
    for g in grants:
        before = g.state
        g.state, g.state_reason, g.state_changed_at = state, reason, now
        record(session, principal, f"access.grant_{state}", "access_grant", g.id, before={"state": before},
               after={"state": state, "reason": reason})


@service(Permission.ACCESS_READ)
def revoke_application(session: Session, principal: Principal, app_id: int, reason: str) -> AccessApplication:
    """The provider (or the bureau) ends an agreement in force early, with its reason: its grants stop at once."""
    app = load_application(session, principal, app_id)
    name = "revoke" if principal.can(Permission.ACCESS_REVIEW, app_org(app)) else "revoke_by_bureau"
    transition(session, principal, APPLICATION, app, name, org=app_org(app), note=reason)
    grants = list(session.execute(select(Grant).where(Grant.application_id == app.id,
                                                      Grant.state.in_(("active", "suspended")))).scalars())
    _set_grants(session, principal, grants, "revoked", reason.strip())
    app.updated_at = utcnow()
    notify(session, [app.applicant_user_id], "Your use agreement has been revoked: %(title)s", _link(app, False),
           title=app.title)
    return app


@service(Permission.ACCESS_TEMPLATE)
def save_template(session: Session, principal: Principal, title: str, clauses: dict[str, str]) -> AgreementTemplate:
    """A21.1: a new version of the agreement template. Agreements already made keep their text."""
    if not title.strip():
        raise ValidationErrors({"title": "Give the agreement a title."})
    try:
        clean = agreement_text.check_clauses(clauses)
    except agreement_text.TemplateError as exc:
        raise BusinessRuleError(exc.message, field=exc.field, **exc.params) from None
    version = current_template(session)[0] + 1
    row = AgreementTemplate(version=version, title=" ".join(title.split())[:200],
                            clauses=json.dumps(clean, ensure_ascii=False), created_by_label=principal.label,
                            created_at=utcnow())
    session.add(row)
    session.flush()
    record(session, principal, "access.template_saved", "access_agreement_template", row.id,
           after={"version": version, "title": row.title, "clauses": clean})
    return row


# --- the periodic work: reminders, escalation, expiry ---------------------------------------------------

REMIND_WORKDAY_HOURS = 48  # remind the provider when less than two days are left


@service(Permission.ACCESS_ACCEPT)
def run_deadlines(session: Session, principal: Principal) -> dict[str, int]:
    """Reminders before the review deadline, escalation to the bureau after it (A20.3), and the end of
    agreements whose period is over (A21.1). Run by the system, daily and on demand."""
    now = utcnow()
    counts = {"reminded": 0, "escalated": 0, "expired": 0, "requests_escalated": 0}
    soon = now + dt.timedelta(hours=REMIND_WORKDAY_HOURS)
    for app in session.execute(select(AccessApplication).where(
            AccessApplication.status == "accepted", AccessApplication.due_at.is_not(None))).scalars():
        if app.due_at <= now and app.escalated_at is None:
            app.escalated_at = now
            record(session, principal, "access.review_overdue", "access_application", app.id,
                   after={"due_at": app.due_at.isoformat()})
            notify(session, bureau_people(session, app.region_code) + provider_people(session, app.provider_org_id),
                   "Overdue: the provider has not reviewed the application in time: %(title)s", _link(app, True),
                   title=app.title)
            counts["escalated"] += 1
        elif now < app.due_at <= soon and app.reminded_at is None:
            app.reminded_at = now
            notify(session, provider_people(session, app.provider_org_id),
                   "Reminder: the review of an application is due soon: %(title)s", _link(app, True), title=app.title)
            counts["reminded"] += 1
    for app in session.execute(select(AccessApplication).where(AccessApplication.status == IN_FORCE)).scalars():
        if app.approved_end is not None and _day_start(app.approved_end + dt.timedelta(days=1)) <= now:
            transition(session, SYSTEM, APPLICATION, app, "expire", org=app_org(app))
            grants = list(session.execute(select(Grant).where(Grant.application_id == app.id,
                                                              Grant.state == "active")).scalars())
            _set_grants(session, SYSTEM, grants, EXPIRED, "")
            counts["expired"] += 1
    for req in session.execute(select(DataRequest).where(DataRequest.status == "routed", DataRequest.due_at <= now,
                                                         DataRequest.escalated_at.is_(None))).scalars():
        req.escalated_at = now
        record(session, principal, "access.request_overdue", "access_data_request", req.id,
               after={"due_at": req.due_at.isoformat()})
        notify(session, bureau_people(session, req.region_code),
               "Overdue: a request for data outside the catalog has not been answered: %(title)s",
               f"/console/access/requests/{req.id}", title=req.title)
        counts["requests_escalated"] += 1
    return counts


# --- out-of-catalog requests (A23.1) -------------------------------------------------------------------

@service(AUTHENTICATED)
def submit_request(session: Session, principal: Principal, title: str, description: str, purpose: str,
                   region_code: str = "320500") -> DataRequest:
    errors = {}
    if not title.strip():
        errors["title"] = "Say in a few words what data you need."
    if not description.strip():
        errors["description"] = "Describe the data: what it covers, which items, which period."
    from kaifang.accounts.models import Region

    if session.get(Region, region_code) is None:
        errors["region_code"] = "Unknown region."
    if errors:
        raise ValidationErrors(errors)
    user = session.get(User, principal.user_id)
    req = DataRequest(requester_user_id=principal.user_id, requester_label=_applicant_label(user),
                      title=" ".join(title.split())[:200], description=description.strip(), purpose=purpose.strip(),
                      region_code=region_code, status="submitted", created_at=utcnow())
    session.add(req)
    session.flush()
    record(session, principal, "access.request_submitted", "access_data_request", req.id,
           after={"title": req.title, "region_code": region_code})
    notify(session, bureau_people(session, region_code), "New request for data outside the catalog: %(title)s",
           f"/console/access/requests/{req.id}", title=req.title)
    return req


def _request(session: Session, principal: Principal, req_id: int) -> DataRequest:
    req = session.get(DataRequest, req_id)
    if req is None:
        raise NotFound()
    if principal.user_id is not None and req.requester_user_id == principal.user_id:
        return req
    if principal.can(Permission.ACCESS_ACCEPT, OrgRef(0, req.region_code)):
        return req
    if req.routed_org_id is not None:
        org = session.get(Organisation, req.routed_org_id)
        authorize(principal, Permission.ACCESS_READ, OrgRef(org.id, org.region_code), hide=True)
        return req
    raise NotFound()


@query(AUTHENTICATED)
def load_request(session: Session, principal: Principal, req_id: int) -> DataRequest:
    return _request(session, principal, req_id)


@service(Permission.ACCESS_ACCEPT)
def route_request(session: Session, principal: Principal, req_id: int, org_id: int, note: str = "") -> DataRequest:
    """A23.1: the bureau passes the request to the agency that holds the data; its 10 working days start."""
    req = _request(session, principal, req_id)
    org = session.get(Organisation, org_id)
    if org is None or org.kind != "provider" or not org.is_active:
        raise BusinessRuleError("Choose the agency that holds the data.", field="org_id")
    transition(session, principal, DATA_REQUEST, req, "route", org=OrgRef(0, req.region_code), note=note,
               org_id=org.id)
    req.routed_org_id = org.id
    notify(session, provider_people(session, org.id), "A request for data outside the catalog needs your answer: "
           "%(title)s", f"/console/access/requests/{req.id}", title=req.title)
    notify(session, [req.requester_user_id], "Your request has been passed to %(org)s: %(title)s",
           f"/requests/{req.id}", title=req.title, org=org.name)
    return req


@service(Permission.ACCESS_ACCEPT)
def decline_request(session: Session, principal: Principal, req_id: int, reason: str) -> DataRequest:
    req = _request(session, principal, req_id)
    transition(session, principal, DATA_REQUEST, req, "decline", org=OrgRef(0, req.region_code), note=reason)
    req.answer, req.answered_at = reason.strip(), utcnow()
    notify(session, [req.requester_user_id], "Your request has been answered: %(title)s", f"/requests/{req.id}",
           title=req.title)
    return req


@service(Permission.ACCESS_REVIEW)
def answer_request(session: Session, principal: Principal, req_id: int, outcome: str, answer: str,
                   entry_id: int | None = None) -> DataRequest:
    """A23.1: the agency's answer; it may point to a catalog entry opened (or already open) for it."""
    req = _request(session, principal, req_id)
    errors = {}
    if outcome not in REQUEST_OUTCOMES:
        errors["outcome"] = "Choose the outcome."
    if not answer.strip():
        errors["answer"] = "Write the answer to the requester."
    if entry_id is not None and session.get(CatalogEntry, entry_id) is None:
        errors["entry_id"] = "Unknown catalog entry."
    org = session.get(Organisation, req.routed_org_id) if req.routed_org_id else None
    org_ref = OrgRef(org.id, org.region_code) if org else OrgRef(0, req.region_code)
    if errors:
        if req.status != "routed":
            transition(session, principal, DATA_REQUEST, req, "answer", org=org_ref)
        raise ValidationErrors(errors)
    transition(session, principal, DATA_REQUEST, req, "answer", org=org_ref, note=answer, outcome=outcome,
               entry_id=entry_id)
    req.outcome, req.answer, req.entry_id, req.answered_at = outcome, answer.strip(), entry_id, utcnow()
    notify(session, [req.requester_user_id], "Your request has been answered: %(title)s", f"/requests/{req.id}",
           title=req.title)
    return req


# --- results of use (A24.2) ----------------------------------------------------------------------------

@service(AUTHENTICATED)
def report_result(session: Session, principal: Principal, app_id: int, kind: str, title: str, url: str = "",
                  description: str = "") -> UseResult:
    app = _own(session, principal, app_id)
    if app.status not in (IN_FORCE, EXPIRED):
        raise BusinessRuleError("Results can be reported once the use agreement is in force.")
    errors = {}
    if kind not in RESULT_KINDS:
        errors["kind"] = "Choose the kind of result."
    if not title.strip():
        errors["title"] = "Give the result's title."
    url = url.strip()
    if url and not url.lower().startswith(("http://", "https://")):
        errors["url"] = "A link starts with http:// or https://."
    if errors:
        raise ValidationErrors(errors)
    row = UseResult(application_id=app.id, user_id=principal.user_id, kind=kind, title=" ".join(title.split())[:200],
                    url=url[:500], description=description.strip(), created_at=utcnow())
    session.add(row)
    session.flush()
    record(session, principal, "access.result_reported", "access_application", app.id,
           after={"kind": kind, "title": row.title, "url": row.url})
    return row


# --- sanctions (A34.1) ---------------------------------------------------------------------------------

@service(Permission.ACCESS_SANCTION)
def impose_sanction(session: Session, principal: Principal, user_id: int, kind: str, reason: str,
                    org_id: int | None = None, public: bool = False) -> Sanction:
    """A34.1: restrict or close a user's access, with the reason. Platform-wide (``org_id`` None: the city
    bureau) or for one provider's data (that provider, or the bureau reaching it). At once: every grant in scope
    is suspended, and API keys stop (all of them platform-wide; those bound to a suspended grant otherwise)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    errors = {}
    if kind not in SANCTION_KINDS:
        errors["kind"] = "Choose restrict or close."
    if not reason.strip():
        errors["reason"] = "State the violation and the reason for the sanction."
    if errors:
        raise ValidationErrors(errors)
    org = None
    if org_id is None:
        if not principal.reaches_everything(Permission.ACCESS_SANCTION):
            raise BusinessRuleError("Only the city bureau may sanction a user on the whole platform: choose the "
                                    "provider whose data the sanction covers.", field="org_id")
    else:
        org = session.get(Organisation, org_id)
        if org is None:
            raise BusinessRuleError("Unknown organisation.", field="org_id")
        authorize(principal, Permission.ACCESS_SANCTION, OrgRef(org.id, org.region_code))
    issuer = _issuer_name(session, principal)
    row = Sanction(user_id=user.id, user_label=_applicant_label(user), org_id=org_id, kind=kind,
                   reason=reason.strip(), public=public, imposed_by_label=principal.label,
                   imposed_by_org_name=issuer, starts_at=utcnow())
    session.add(row)
    session.flush()
    stmt = select(Grant).where(Grant.grantee_user_id == user.id, Grant.state == "active")
    if org_id is not None:
        stmt = stmt.where(Grant.provider_org_id == org_id)
    grants = list(session.execute(stmt).scalars())
    _set_grants(session, principal, grants, "suspended", f"sanction:{row.id}")
    keys = select(ApiKey.id).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
    if org_id is not None:
        keys = keys.where(ApiKey.grant_id.in_([g.id for g in grants] or [-1]))
    key_ids = list(session.execute(keys).scalars())
    if key_ids:
        session.execute(update(ApiKey).where(ApiKey.id.in_(key_ids)).values(revoked_at=utcnow())
                        .execution_options(synchronize_session=False))
    record(session, principal, "access.sanction_imposed", "access_sanction", row.id, after={
        "user_id": user.id, "kind": kind, "org_id": org_id, "reason": row.reason, "public": public,
        "grants_suspended": [g.id for g in grants], "keys_revoked": key_ids})
    notify(session, [user.id], "Your access to data has been restricted: %(reason)s", "/me/notifications",
           reason=row.reason[:200])
    return row


def _issuer_name(session: Session, principal: Principal) -> str:
    org_ids = sorted(principal.org_ids_for(Permission.ACCESS_SANCTION)) or sorted(
        g.org_id for g in principal.grants if g.org_id)
    org = session.get(Organisation, org_ids[0]) if org_ids else None
    return org.name if org else ""


@service(Permission.ACCESS_SANCTION)
def lift_sanction(session: Session, principal: Principal, sanction_id: int, reason: str) -> Sanction:
    """End a sanction: the grants it suspended resume if their agreement is still in force. Revoked keys stay
    revoked (the user makes new ones)."""
    row = session.get(Sanction, sanction_id)
    if row is None:
        raise NotFound()
    if row.org_id is None:
        if not principal.reaches_everything(Permission.ACCESS_SANCTION):
            raise NotFound()
    else:
        org = session.get(Organisation, row.org_id)
        authorize(principal, Permission.ACCESS_SANCTION, OrgRef(org.id, org.region_code), hide=True)
    if row.lifted_at is not None:
        raise BusinessRuleError("This sanction has already been lifted.")
    if not reason.strip():
        raise ValidationErrors({"reason": "State why the sanction is lifted."})
    row.lifted_at, row.lift_reason = utcnow(), reason.strip()
    still = [s for s in sanctions_in_force(session, row.user_id) if s.id != row.id]
    grants = [g for g in session.execute(select(Grant).where(Grant.state_reason == f"sanction:{row.id}",
                                                             Grant.state == "suspended")).scalars()
              if not any(s.org_id in (None, g.provider_org_id) for s in still)]
    in_force = {a for (a,) in session.execute(select(AccessApplication.id).where(
        AccessApplication.id.in_([g.application_id for g in grants] or [-1]), AccessApplication.status == IN_FORCE))}
    _set_grants(session, principal, [g for g in grants if g.application_id in in_force], "active", "")
    record(session, principal, "access.sanction_lifted", "access_sanction", row.id, after={"reason": row.lift_reason})
    notify(session, [row.user_id], "A restriction of your access to data has been lifted.", "/me/notifications")
    return row


# --- notifications ------------------------------------------------------------------------------------

@service(AUTHENTICATED)
def mark_notifications_read(session: Session, principal: Principal, ids: list[int] | None = None) -> int:
    stmt = update(Notification).where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids or [-1]))
    return session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount


# --- API keys bound to a grant ------------------------------------------------------------------------

@service(AUTHENTICATED)
def bind_key_to_grant(session: Session, principal: Principal, key_id: int, grant_id: int | None) -> ApiKey:
    """A20.4: a key bound to a grant reads that grant's dataset only, and stops with the grant."""
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != principal.user_id or key.revoked_at is not None:
        raise NotFound()
    if grant_id is not None:
        grant = session.get(Grant, grant_id)
        if grant is None or grant.grantee_user_id != principal.user_id:
            raise NotFound()
    before = key.grant_id
    key.grant_id = grant_id
    record(session, principal, "access.key_bound", "api_key", key.id, before={"grant_id": before},
           after={"grant_id": grant_id})
    return key
