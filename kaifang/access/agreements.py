"""The use agreement (A21.1): the operator's template, the agreement made from it when an application is approved,
each side's signature of its exact text, and the agreement's life: in force once both have signed (its grants
start), revoked early with a reason, expired when its period is over (its grants end with it)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.access import agreement as agreement_text
from kaifang.access.datasets import datasets
from kaifang.access.grants import grants_of, move_grants, start_grants
from kaifang.access.models import AccessApplication, AgreementSignature, AgreementTemplate, UseAgreement
from kaifang.access.policy import app_org, application_link, load_application
from kaifang.access.rules import items_of
from kaifang.access.workflow import APPLICATION, ApplicationState
from kaifang.accounts import organisation_info, provider_people
from kaifang.audit import record
from kaifang.clock import LOCAL_TZ
from kaifang.db import utcnow
from kaifang.errors import BusinessRuleError, ValidationErrors
from kaifang.notify import notify
from kaifang.security import AUTHENTICATED, SYSTEM, Permission, Principal, service
from kaifang.workflow import transition

SIDES = ("applicant", "provider")
_DELIVERY_ZH = {"download": "数据下载", "api": "数据服务接口", "analysis": "算法模型分析结果"}


# --- the template --------------------------------------------------------------------------------------

def current_template(session: Session) -> tuple[int, str, dict[str, str]]:
    """The version, title and clauses agreements are made from now (version 0: the default text)."""
    row = session.execute(select(AgreementTemplate).order_by(AgreementTemplate.version.desc())
                          .limit(1)).scalar_one_or_none()
    if row is None:
        return 0, agreement_text.DEFAULT_TITLE, dict(agreement_text.DEFAULT_CLAUSES)
    return row.version, row.title, json.loads(row.clauses)


@service(Permission.ACCESS_TEMPLATE)
def save_template(session: Session, principal: Principal, title: str, clauses: dict[str, str]) -> AgreementTemplate:
    """A21.1: a new version of the agreement template. Agreements already made keep their text."""
    if not title.strip():
        raise ValidationErrors({"title": "Give the agreement a title."})
    clean = agreement_text.check_clauses(clauses)
    version = current_template(session)[0] + 1
    row = AgreementTemplate(version=version, title=" ".join(title.split())[:200],
                            clauses=json.dumps(clean, ensure_ascii=False), created_by_label=principal.label,
                            created_at=utcnow())
    session.add(row)
    session.flush()
    record(session, principal, "access.template_saved", "access_agreement_template", row.id,
           after={"version": version, "title": row.title, "clauses": clean})
    return row


# --- the agreement of an approved application ----------------------------------------------------------

def _dataset_lines(session: Session, app: AccessApplication) -> str:
    items = [i for i in items_of(session, app) if json.loads(i.approved_fields)]
    known = datasets(session, [i.entry_id for i in items])
    lines = []
    for item in items:
        entry = known[item.entry_id]
        names = "、".join(f"{entry.titles.get(n) or n}（{n}）" for n in json.loads(item.approved_fields))
        rows_text = f"；数据范围：{item.row_filter}" if item.row_filter else "；数据范围：全部记录"
        lines.append(f"{entry.name}（{entry.slug}）：数据项 {names}{rows_text}")
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


def make_agreement(session: Session, app: AccessApplication) -> UseAgreement:
    """A21.1: the agreement's exact text, from the current template and what the provider approved. A helper of
    the approval (inside its transaction)."""
    assert app.approved_start is not None and app.approved_end is not None
    existing = session.execute(select(UseAgreement).where(UseAgreement.application_id == app.id)).scalar_one_or_none()
    if existing is not None:
        raise BusinessRuleError("This application already has a use agreement.")
    version, title, clauses = current_template(session)
    provider = organisation_info(session, app.provider_org_id)
    values = {
        "applicant": app.applicant_label, "provider": provider.name if provider else "",
        "application_no": app.number, "title": app.title, "purpose": app.approved_purpose,
        "datasets": _dataset_lines(session, app),
        "deliveries": "、".join(_DELIVERY_ZH[d] for d in json.loads(app.approved_deliveries)),
        "start": app.approved_start.isoformat(), "end": app.approved_end.isoformat(),
    }
    text = agreement_text.render(title, clauses, values)
    row = UseAgreement(application_id=app.id, template_version=version, text=text,
                       sha256=agreement_text.digest(text), created_at=utcnow())
    session.add(row)
    session.flush()
    return row


# --- signatures and the agreement's life ---------------------------------------------------------------

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
    if side in signed and app.status == ApplicationState.APPROVED:
        raise BusinessRuleError("This side has already signed the agreement.")
    if sha256.strip().lower() != agreement.sha256 and app.status == ApplicationState.APPROVED:
        raise BusinessRuleError("The agreement you signed is not the current text: reload the page, read it and "
                                "sign again.", field="sha256")
    transition(session, principal, APPLICATION, app, name, org=app_org(app), sha256=agreement.sha256)
    provider = organisation_info(session, app.provider_org_id) if side == "provider" else None
    session.add(AgreementSignature(agreement_id=agreement.id, side=side, user_id=principal.user_id,
                                   label=principal.label, org_name=provider.name if provider else "",
                                   sha256=agreement.sha256, signed_at=utcnow()))
    session.flush()
    if signed | {side} == set(SIDES):
        _take_effect(session, app, agreement)
    else:
        other = provider_people(session, app.provider_org_id) if side == "applicant" else [app.applicant_user_id]
        notify(session, other, "The other side has signed the use agreement; your signature is awaited: %(title)s",
               application_link(app, side == "applicant"), title=app.title)
    return agreement


def day_start(day: dt.date) -> dt.datetime:
    """00:00 of ``day`` in Beijing time, in UTC: a period ends at the start of the day after its last day."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def period_end(app: AccessApplication) -> dt.datetime | None:
    """When an approved period is over: 24:00 (Beijing time) of its last day."""
    return day_start(app.approved_end + dt.timedelta(days=1)) if app.approved_end else None


def _take_effect(session: Session, app: AccessApplication, agreement: UseAgreement) -> None:
    """A21.1: access starts when both sides have signed and ends when the period ends (24:00 of its last day)."""
    assert app.approved_start is not None
    now = utcnow()
    transition(session, SYSTEM, APPLICATION, app, "take_effect", org=app_org(app))
    agreement.in_force_at = now
    ends = period_end(app)
    assert ends is not None
    start_grants(session, app, max(now, day_start(app.approved_start)), ends)
    notify(session, [app.applicant_user_id], "The use agreement is in force: you can now get the approved data. "
           "%(title)s", application_link(app, False), title=app.title)
    notify(session, provider_people(session, app.provider_org_id), "The use agreement is in force: %(title)s",
           application_link(app, True), title=app.title)


@service(Permission.ACCESS_READ)
def revoke_application(session: Session, principal: Principal, app_id: int, reason: str) -> AccessApplication:
    """The provider (or the bureau) ends an agreement in force early, with its reason: its grants stop at once."""
    app = load_application(session, principal, app_id)
    by_provider = principal.can(Permission.ACCESS_REVIEW, app_org(app))
    name = "revoke" if by_provider else "revoke_by_bureau"
    transition(session, principal, APPLICATION, app, name, org=app_org(app), note=reason)
    move_grants(session, principal, grants_of(session, app.id), name, reason)
    app.updated_at = utcnow()
    notify(session, [app.applicant_user_id], "Your use agreement has been revoked: %(title)s",
           application_link(app, False), title=app.title)
    return app


def expire_agreement(session: Session, app: AccessApplication) -> None:
    """A21.1: the period is over: the agreement and its grants end (the system's move, in the daily round)."""
    transition(session, SYSTEM, APPLICATION, app, "expire", org=app_org(app))
    move_grants(session, SYSTEM, grants_of(session, app.id), "expire")
