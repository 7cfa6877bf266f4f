"""Account reads: the principal behind a session, profiles, organisations, rosters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from kaifang.accounts.models import Membership, MembershipChange, Organisation, Region, RulesAcceptance, User
from kaifang.pagination import Page, paginate
from kaifang.security import (
    AUTHENTICATED,
    PUBLIC,
    NotFound,
    OrgRef,
    Permission,
    Principal,
    Role,
    RoleGrant,
    authorize,
    query,
    reach,
)


@query(PUBLIC)
def load_principal(session: Session, principal: Principal, user_id: int, epoch: int) -> Principal | None:
    """The principal for a session cookie, or None when the account is gone, closed or the epoch is old."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.session_epoch != epoch:
        return None
    rows = session.execute(
        select(Membership.role, Membership.org_id, Organisation.region_code)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.user_id == user_id, Organisation.is_active.is_(True))
    ).all()
    grants = {RoleGrant(Role.USER)} | {RoleGrant(Role(r.role), r.org_id, r.region_code) for r in rows}
    return Principal(user_id=user.id, label=user.email, grants=frozenset(grants), lang=user.lang)


@dataclass(frozen=True)
class Profile:
    user: User
    rules_version: str | None
    rules_accepted_at: object
    memberships: list[tuple[str, str]]  # (role, organisation name)


@query(Permission.SELF_READ)
def my_profile(session: Session, principal: Principal) -> Profile:
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound()
    acc = session.execute(
        select(RulesAcceptance).where(RulesAcceptance.user_id == user.id)
        .order_by(RulesAcceptance.accepted_at.desc()).limit(1)
    ).scalar_one_or_none()
    ms = session.execute(
        select(Membership.role, Organisation.name).join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.user_id == user.id).order_by(Organisation.name)
    ).all()
    return Profile(user, acc.version if acc else None, acc.accepted_at if acc else None,
                   [(r.role, r.name) for r in ms])


@query(PUBLIC)
def list_regions(session: Session, principal: Principal) -> list[Region]:
    return list(session.execute(select(Region).order_by(Region.sort_order, Region.code)).scalars())


@query(Permission.STAFF_READ)
def list_organisations(
    session: Session, principal: Principal, *, kind: str | None = None, region: str | None = None,
    q: str | None = None, page: int = 1, per_page: int = 50,
) -> Page[Organisation]:
    """Organisations whose roster the principal may read, filtered in SQL."""
    stmt = select(Organisation).where(
        reach(principal, Permission.STAFF_READ, Organisation.id, Organisation.region_code))
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if region:
        stmt = stmt.where(Organisation.region_code == region)
    if q:
        stmt = stmt.where(Organisation.name.contains(q.strip()))
    return paginate(session, stmt.order_by(Organisation.region_code, Organisation.kind, Organisation.name),
                    page, per_page)


def org_ref(org: Organisation) -> OrgRef:
    return OrgRef(org.id, org.region_code)


@dataclass(frozen=True)
class RosterEntry:
    membership_id: int
    user_id: int
    email: str
    display_name: str
    role: str
    since: object


@dataclass(frozen=True)
class Roster:
    org: Organisation
    members: list[RosterEntry]
    history: list[tuple[MembershipChange, str, str | None]]  # change, user email, by email


@query(Permission.STAFF_READ)
def organisation_roster(session: Session, principal: Principal, org_id: int) -> Roster:
    """A35.1: the registered chief data officer and data staff of one organisation, and its history."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    authorize(principal, Permission.STAFF_READ, org_ref(org), hide=True)
    members = [
        RosterEntry(m.id, u.id, u.email, u.display_name, m.role, m.created_at)
        for m, u in session.execute(
            select(Membership, User).join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org_id).order_by(Membership.role, User.email)
        ).all()
    ]
    by_user = aliased(User)
    by = (select(by_user.email).where(by_user.id == MembershipChange.by_user_id).correlate(MembershipChange)
          .scalar_subquery())
    history = [
        (c, email, by_email)
        for c, email, by_email in session.execute(
            select(MembershipChange, User.email, by).join(User, User.id == MembershipChange.user_id)
            .where(MembershipChange.org_id == org_id).order_by(MembershipChange.at.desc(), MembershipChange.id.desc())
            .limit(200)
        ).all()
    ]
    return Roster(org, members, history)


@query(AUTHENTICATED)
def my_organisations(session: Session, principal: Principal) -> list[Organisation]:
    ids = {g.org_id for g in principal.grants if g.org_id}
    if not ids:
        return []
    return list(session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars())


def organisation_contacts(session: Session, org_id: int, roles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(email, name, language) of the active people holding ``roles`` in an organisation: for notifications."""
    rows = session.execute(
        select(User.email, User.display_name, User.lang).join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id, Membership.role.in_(roles), User.is_active.is_(True))
        .order_by(User.email).distinct()
    ).all()
    return [(r.email, r.display_name, r.lang) for r in rows]


@query(Permission.STAFF_READ)
def organisation_id(session: Session, principal: Principal, name: str) -> int | None:
    """The id of the organisation named ``name`` exactly, or None (the command line's bootstrap)."""
    return session.execute(select(Organisation.id).where(Organisation.name == name)).scalar()
