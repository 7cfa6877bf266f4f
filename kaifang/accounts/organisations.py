"""Organisation and membership writes (operator console; A35.1 staff registration)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.accounts.models import Membership, MembershipChange, Organisation, Region, User
from kaifang.accounts.queries import org_ref
from kaifang.accounts.schemas import OrganisationInput
from kaifang.accounts.services import normalize_email
from kaifang.accounts.uscc import USCCError, normalize_uscc
from kaifang.audit import record
from kaifang.db import utcnow
from kaifang.errors import ValidationErrors
from kaifang.security import BusinessRuleError, NotFound, Permission, Principal, Role, authorize, service

# Which kind of organisation each role belongs to.
ROLE_ORG_KIND: dict[Role, str] = {
    Role.PROVIDER_STAFF: "provider",
    Role.PROVIDER_CDO: "provider",
    Role.DISTRICT_BUREAU: "bureau",
    Role.CITY_BUREAU: "bureau",
    Role.OPERATOR: "operator",
    Role.EXPERT: "expert_committee",
    Role.SUPERVISOR: "supervisor",
}
# A provider's chief data officer registers data staff; every other role is assigned by the operator.
STAFF_ROLES = frozenset({Role.PROVIDER_STAFF})


@service(Permission.ORGS_MANAGE)
def create_organisation(session: Session, principal: Principal, data: OrganisationInput) -> Organisation:
    errors: dict[str, str | USCCError] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "Please enter the organisation's name."
    elif session.execute(select(Organisation.id).where(Organisation.name == name)).first():
        errors["name"] = "An organisation with this name already exists."
    if session.get(Region, data.region_code) is None:
        errors["region_code"] = "Unknown region."
    uscc = None
    if data.uscc and data.uscc.strip():
        try:
            uscc = normalize_uscc(data.uscc)
        except USCCError as exc:
            errors["uscc"] = exc
    if errors:
        raise ValidationErrors(errors)
    org = Organisation(name=name, kind=data.kind, region_code=data.region_code, uscc=uscc,
                       domain=(data.domain or None), is_active=True, created_at=utcnow())
    session.add(org)
    session.flush()
    record(session, principal, "accounts.organisation_created", "organisation", org.id,
           after={"name": name, "kind": data.kind, "region": data.region_code, "uscc": uscc})
    return org


@service(Permission.ORGS_MANAGE)
def set_organisation_active(session: Session, principal: Principal, org_id: int, active: bool) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    before = org.is_active
    org.is_active = active
    record(session, principal, "accounts.organisation_activation", "organisation", org.id,
           before={"is_active": before}, after={"is_active": active})
    return org


def _check_role_assignment(principal: Principal, org: Organisation, role: Role) -> None:
    if role == Role.USER or ROLE_ORG_KIND.get(role) != org.kind:
        raise BusinessRuleError("This role cannot be held in this kind of organisation.", field="role")
    if role == Role.CITY_BUREAU and org.region_code != "320500":
        raise BusinessRuleError("This role cannot be held in this kind of organisation.", field="role")
    if role == Role.DISTRICT_BUREAU and org.region_code == "320500":
        raise BusinessRuleError("This role cannot be held in this kind of organisation.", field="role")
    # Reaching the organisation at all: a hidden one answers like a missing one.
    authorize(principal, Permission.STAFF_READ, org_ref(org), hide=True)
    if role in STAFF_ROLES:
        authorize(principal, Permission.STAFF_MANAGE, org_ref(org))
    else:
        authorize(principal, Permission.ORGS_MANAGE)


@service(Permission.STAFF_MANAGE)
def add_member(
    session: Session, principal: Principal, org_id: int, email: str, role: str, reason: str = ""
) -> Membership:
    """A35.1: register a user as chief data officer, data staff, or another role of the organisation."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    try:
        role_ = Role(role)
    except ValueError as exc:
        raise BusinessRuleError("Unknown role.", field="role") from exc
    _check_role_assignment(principal, org, role_)
    user = session.execute(select(User).where(User.email == normalize_email(email))).scalar_one_or_none()
    if user is None:
        raise BusinessRuleError("No account uses this e-mail address: the person must register first.",
                                field="email")
    exists = session.execute(select(Membership).where(
        Membership.user_id == user.id, Membership.org_id == org.id, Membership.role == role_.value)).first()
    if exists:
        raise BusinessRuleError("This person already holds this role here.", field="email")
    now = utcnow()
    m = Membership(user_id=user.id, org_id=org.id, role=role_.value, created_at=now)
    session.add(m)
    session.add(MembershipChange(org_id=org.id, user_id=user.id, role=role_.value, change="added",
                                 reason=reason.strip()[:500], by_user_id=principal.user_id, at=now))
    session.flush()
    record(session, principal, "accounts.member_added", "organisation", org.id,
           after={"user": user.email, "role": role_.value, "reason": reason.strip()[:500]})
    return m


@service(Permission.STAFF_MANAGE)
def remove_member(session: Session, principal: Principal, membership_id: int, reason: str = "") -> None:
    m = session.get(Membership, membership_id)
    if m is None:
        raise NotFound()
    org = session.get(Organisation, m.org_id)
    assert org is not None
    _check_role_assignment(principal, org, Role(m.role))
    user = session.get(User, m.user_id)
    assert user is not None
    session.add(MembershipChange(org_id=org.id, user_id=m.user_id, role=m.role, change="removed",
                                 reason=reason.strip()[:500], by_user_id=principal.user_id, at=utcnow()))
    session.delete(m)
    record(session, principal, "accounts.member_removed", "organisation", org.id,
           before={"user": user.email, "role": m.role}, after={"reason": reason.strip()[:500]})
