"""Free API keys (A19.1): a key identifies the caller for rate limits and statistics; it grants nothing that
the key's owner could not read anyway. A key bound to a grant of conditional access (A20.4) reads that grant's
dataset only; a sanction (A34.1) revokes keys at once. Other domains do both through the services here."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kaifang.accounts.models import ApiKey
from kaifang.accounts.queries import load_principal
from kaifang.audit import record
from kaifang.db import utcnow
from kaifang.security import (
    ANONYMOUS,
    AUTHENTICATED,
    PUBLIC,
    BusinessRuleError,
    NotFound,
    Permission,
    Principal,
    query,
    service,
)

KEY_PREFIX = "kf_"
MAX_KEYS = 10


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


@service(Permission.SELF_UPDATE)
def create_api_key(session: Session, principal: Principal, name: str) -> NewKey:
    name = name.strip()
    if not name:
        raise BusinessRuleError("Give the key a name, for example the application that will use it.", field="name")
    live = session.execute(select(func.count()).select_from(ApiKey).where(
        ApiKey.user_id == principal.user_id, ApiKey.revoked_at.is_(None))).scalar_one()
    if live >= MAX_KEYS:
        raise BusinessRuleError("You already have %(n)s keys: revoke one first.", field="name", n=MAX_KEYS)
    plaintext = KEY_PREFIX + secrets.token_urlsafe(30)
    key = ApiKey(user_id=principal.user_id, name=name[:100], prefix=plaintext[:10], key_hash=_hash(plaintext),
                 created_at=utcnow())
    session.add(key)
    session.flush()
    record(session, principal, "accounts.api_key_created", "api_key", key.id, after={"name": key.name,
                                                                                    "prefix": key.prefix})
    return NewKey(key, plaintext)


@service(Permission.SELF_UPDATE)
def revoke_api_key(session: Session, principal: Principal, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != principal.user_id:
        raise NotFound()
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(session, principal, "accounts.api_key_revoked", "api_key", key.id, after={"prefix": key.prefix})
    return key


@service(AUTHENTICATED)
def bind_api_key(session: Session, principal: Principal, key_id: int, grant_id: int | None) -> ApiKey:
    """A20.4: bind one of the caller's live keys to a grant (None: unbind it). The caller's domain has checked
    that the grant is theirs; a key that is not theirs, or revoked, does not exist for them."""
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != principal.user_id or key.revoked_at is not None:
        raise NotFound()
    before = key.grant_id
    key.grant_id = grant_id
    record(session, principal, "accounts.api_key_bound", "api_key", key.id, before={"grant_id": before},
           after={"grant_id": grant_id})
    return key


@service(Permission.ACCESS_SANCTION)
def revoke_keys_of(session: Session, principal: Principal, user_id: int,
                   bound_to: Iterable[int] | None = None) -> list[int]:
    """A34.1: a sanction stops a user's keys at once: every live key, or (``bound_to``) those bound to these
    grants. Returns the ids of the keys revoked; the sanction's audit event lists them."""
    stmt = select(ApiKey.id).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
    if bound_to is not None:
        stmt = stmt.where(ApiKey.grant_id.in_(list(bound_to) or [-1]))
    key_ids = list(session.execute(stmt).scalars())
    if key_ids:
        session.execute(update(ApiKey).where(ApiKey.id.in_(key_ids)).values(revoked_at=utcnow())
                        .execution_options(synchronize_session=False))
    return key_ids


@query(Permission.SELF_READ)
def my_api_keys(session: Session, principal: Principal) -> list[ApiKey]:
    return list(session.execute(select(ApiKey).where(ApiKey.user_id == principal.user_id)
                                .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())).scalars())


@dataclass(frozen=True)
class KeyIdentity:
    key_id: int
    principal: Principal


@query(PUBLIC)
def principal_for_key(session: Session, principal: Principal, plaintext: str) -> KeyIdentity | None:
    """The caller behind an API key, or None for an unknown or revoked key. ``mark_key_used`` records the use."""
    if not plaintext.startswith(KEY_PREFIX):
        return None
    key = session.execute(select(ApiKey).where(ApiKey.key_hash == _hash(plaintext))).scalar_one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    owner = load_principal(session, ANONYMOUS, key.user_id, _epoch(session, key.user_id))
    if owner is None:
        return None
    if key.grant_id is not None:
        owner = replace(owner, bound_grant_id=key.grant_id)
    return KeyIdentity(key.id, owner)


@service(AUTHENTICATED)
def mark_key_used(session: Session, principal: Principal, key_id: int) -> None:
    """Statistics only: when the owner's key was last used. A short write transaction of its own, apart from the
    reads that identified the key (decisions/0008)."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == principal.user_id)
                    .values(last_used_at=utcnow()).execution_options(synchronize_session=False))


def _epoch(session: Session, user_id: int) -> int:
    from kaifang.accounts.models import User

    return session.execute(select(User.session_epoch).where(User.id == user_id)).scalar_one()
