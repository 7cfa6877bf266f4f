"""Who is who, for the other domains: the people to tell about an item (by organisation and role), how to reach a
user (e-mail and language), and the names to show of users and organisations. Other domains ask these instead of
reading the accounts tables.

Helpers that run inside the caller's declared service or query (hence not ``(session, principal, ...)``): they
look up, they decide nothing about permissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.accounts.models import Membership, Organisation, Region, User
from kaifang.security import OrgRef, Role

BUREAU_ROLES = (Role.CITY_BUREAU, Role.DISTRICT_BUREAU)
PROVIDER_ROLES = (Role.PROVIDER_STAFF, Role.PROVIDER_CDO)


def people_of(session: Session, org_id: int, roles: Iterable[Role]) -> list[int]:
    """The active users holding one of ``roles`` in organisation ``org_id``."""
    return list(session.execute(
        select(Membership.user_id).join(User, User.id == Membership.user_id)
        .where(Membership.org_id == org_id, Membership.role.in_([str(r) for r in roles]), User.is_active.is_(True))
        .distinct()).scalars())


def provider_people(session: Session, org_id: int) -> list[int]:
    """A provider's data staff and chief data officer: who reviews and signs for the agency."""
    return people_of(session, org_id, PROVIDER_ROLES)


def bureau_people(session: Session, region_code: str) -> list[int]:
    """The city bureau's people, and the district bureau's of ``region_code``: who accepts and routes."""
    rows = session.execute(
        select(Membership.user_id, Membership.role, Organisation.region_code)
        .join(Organisation, Organisation.id == Membership.org_id).join(User, User.id == Membership.user_id)
        .where(Membership.role.in_([str(r) for r in BUREAU_ROLES]), User.is_active.is_(True))).all()
    return sorted({r.user_id for r in rows if r.role == Role.CITY_BUREAU or r.region_code == region_code})


@dataclass(frozen=True)
class Contact:
    """How to reach a user: the address and the language of their mail."""

    user_id: int
    email: str
    lang: str


def contacts(session: Session, user_ids: Iterable[int]) -> list[Contact]:
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = session.execute(select(User.id, User.email, User.lang).where(User.id.in_(ids)).order_by(User.id))
    return [Contact(r.id, r.email, r.lang) for r in rows]


def user_label(session: Session, user_id: int) -> str | None:
    """How a user is named in queues and notices: the company and the person (``公司（姓名）``), or the person;
    None for an unknown user."""
    user = session.get(User, user_id)
    if user is None:
        return None
    return f"{user.org_name}（{user.display_name}）" if user.org_name else user.display_name


def user_id_for_email(session: Session, email: str) -> int | None:
    """The account registered with this e-mail address (case does not matter), or None."""
    return session.execute(select(User.id).where(func.lower(User.email) == email.strip().lower())).scalar_one_or_none()


@dataclass(frozen=True)
class OrgInfo:
    """What another domain needs to know of an organisation: its name, kind, region and whether it is active."""

    id: int
    name: str
    kind: str
    region_code: str
    is_active: bool

    @property
    def ref(self) -> OrgRef:
        return OrgRef(self.id, self.region_code)


def organisation_info(session: Session, org_id: int | None) -> OrgInfo | None:
    org = session.get(Organisation, org_id) if org_id is not None else None
    if org is None:
        return None
    return OrgInfo(org.id, org.name, org.kind, org.region_code, org.is_active)


def organisations_in(session: Session, region_codes: Iterable[str]) -> list[int]:
    """The ids of the organisations of these regions (what a regional grant of a bureau reaches)."""
    codes = sorted(set(region_codes))
    if not codes:
        return []
    return list(session.execute(select(Organisation.id).where(Organisation.region_code.in_(codes))).scalars())


def region_exists(session: Session, code: str) -> bool:
    return session.get(Region, code) is not None
