"""Sanctions (A34.1): the bureau (platform-wide) or a provider (its own data) restricts or closes a user's access,
with the reason. At once the user's grants in scope are suspended and the API keys concerned revoked; lifting the
sanction resumes the grants whose agreement is still in force (revoked keys stay revoked)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.access.grants import move_grants
from kaifang.access.models import AccessApplication, Grant, Sanction
from kaifang.access.policy import sanctions_in_force
from kaifang.access.schemas import SANCTION_KINDS, SanctionInput
from kaifang.access.workflow import ApplicationState, GrantState
from kaifang.accounts import organisation_info, revoke_keys_of, user_id_for_email, user_label
from kaifang.audit import record
from kaifang.db import utcnow
from kaifang.errors import BusinessRuleError, NotFound, ValidationErrors
from kaifang.notify import notify
from kaifang.security import Permission, Principal, authorize, service

PLATFORM_WIDE_ONLY_CITY = ("Only the city bureau may sanction a user on the whole platform: choose the provider "
                           "whose data the sanction covers.")


def _reference(sanction: Sanction) -> str:
    """What a suspended grant keeps as its reason: the sanction that suspended it."""
    return f"sanction:{sanction.id}"


def _issuer_name(session: Session, principal: Principal) -> str:
    org_ids = sorted(principal.org_ids_for(Permission.ACCESS_SANCTION)) or sorted(
        g.org_id for g in principal.grants if g.org_id)
    org = organisation_info(session, org_ids[0]) if org_ids else None
    return org.name if org else ""


@service(Permission.ACCESS_SANCTION)
def impose_sanction(session: Session, principal: Principal, user_id: int, kind: str, reason: str,
                    org_id: int | None = None, public: bool = False) -> Sanction:
    """A34.1: restrict or close a user's access, with the reason. Platform-wide (``org_id`` None: the city
    bureau) or for one provider's data (that provider, or the bureau reaching it). At once: every grant in scope
    is suspended, and API keys stop (all of them platform-wide; those bound to a suspended grant otherwise)."""
    label = user_label(session, user_id)
    if label is None:
        raise NotFound()
    errors = {}
    if kind not in SANCTION_KINDS:
        errors["kind"] = "Choose restrict or close."
    if not reason.strip():
        errors["reason"] = "State the violation and the reason for the sanction."
    if errors:
        raise ValidationErrors(errors)
    if org_id is None:
        if not principal.reaches_everything(Permission.ACCESS_SANCTION):
            raise BusinessRuleError(PLATFORM_WIDE_ONLY_CITY, field="org_id")
    else:
        org = organisation_info(session, org_id)
        if org is None:
            raise BusinessRuleError("Unknown organisation.", field="org_id")
        authorize(principal, Permission.ACCESS_SANCTION, org.ref)
    row = Sanction(user_id=user_id, user_label=label, org_id=org_id, kind=kind, reason=reason.strip(),
                   public=public, imposed_by_label=principal.label,
                   imposed_by_org_name=_issuer_name(session, principal), starts_at=utcnow())
    session.add(row)
    session.flush()
    stmt = select(Grant).where(Grant.grantee_user_id == user_id, Grant.state == GrantState.ACTIVE)
    if org_id is not None:
        stmt = stmt.where(Grant.provider_org_id == org_id)
    grants = move_grants(session, principal, session.execute(stmt.order_by(Grant.id)).scalars(), "suspend",
                         row.reason, state_reason=_reference(row))
    key_ids = revoke_keys_of(session, principal, user_id, None if org_id is None else [g.id for g in grants])
    record(session, principal, "access.sanction_imposed", "access_sanction", row.id, after={
        "user_id": user_id, "kind": kind, "org_id": org_id, "reason": row.reason, "public": public,
        "grants_suspended": [g.id for g in grants], "keys_revoked": key_ids})
    notify(session, [user_id], "Your access to data has been restricted: %(reason)s", "/me/notifications",
           reason=row.reason[:200])
    return row


@service(Permission.ACCESS_SANCTION)
def sanction_by_email(session: Session, principal: Principal, data: SanctionInput) -> Sanction:
    """A34.1, from the console's form: the user is named by the e-mail address of their account."""
    user_id = user_id_for_email(session, data.email) if data.email.strip() else None
    if user_id is None:
        raise ValidationErrors({"email": "No account is registered with this e-mail address."})
    return impose_sanction(session, principal, user_id, data.kind, data.reason, data.org_id, data.public)


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
        org = organisation_info(session, row.org_id)
        authorize(principal, Permission.ACCESS_SANCTION, org.ref if org else None, hide=True)
    if row.lifted_at is not None:
        raise BusinessRuleError("This sanction has already been lifted.")
    if not reason.strip():
        raise ValidationErrors({"reason": "State why the sanction is lifted."})
    row.lifted_at, row.lift_reason = utcnow(), reason.strip()
    still = [s for s in sanctions_in_force(session, row.user_id) if s.id != row.id]
    suspended = session.execute(select(Grant).where(Grant.state_reason == _reference(row),
                                                    Grant.state == GrantState.SUSPENDED).order_by(Grant.id)).scalars()
    grants = [g for g in suspended if not any(s.org_id in (None, g.provider_org_id) for s in still)]
    in_force = set(session.execute(select(AccessApplication.id).where(
        AccessApplication.id.in_([g.application_id for g in grants] or [-1]),
        AccessApplication.status == ApplicationState.IN_FORCE)).scalars())
    move_grants(session, principal, [g for g in grants if g.application_id in in_force], "resume", row.lift_reason,
                state_reason="")
    record(session, principal, "access.sanction_lifted", "access_sanction", row.id, after={"reason": row.lift_reason})
    notify(session, [row.user_id], "A restriction of your access to data has been lifted.", "/me/notifications")
    return row
