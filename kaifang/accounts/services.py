"""Account writes: registration, sign-in with lockout, password reset, profile, rules of use (A9.5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.accounts.models import PasswordResetToken, RulesAcceptance, User
from kaifang.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from kaifang.accounts.schemas import ProfileUpdate, Registration
from kaifang.accounts.uscc import USCCError, normalize_uscc
from kaifang.audit import record
from kaifang.config import Settings
from kaifang.db import utcnow
from kaifang.errors import Message, ValidationErrors
from kaifang.i18n import gettext_in
from kaifang.security import AUTHENTICATED, PUBLIC, BusinessRuleError, Permission, Principal, service
from kaifang.tasks import enqueue


def _settings(session: Session) -> Settings:
    return session.info["settings"]


def normalize_email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise BusinessRuleError("Please enter a valid e-mail address.", field="email") from exc


def _user_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(func.lower(User.email) == email.lower())).scalar_one_or_none()


@service(PUBLIC)
def register_user(session: Session, principal: Principal, data: Registration, ip: str | None = None) -> User:
    """Register a natural person, legal person or unincorporated organisation; record acceptance of the
    platform rules of use (A9.5)."""
    errors: dict[str, str | Message | BusinessRuleError] = {}
    email = ""
    try:
        email = normalize_email(data.email)
    except BusinessRuleError as exc:
        errors["email"] = exc
    if email and _user_by_email(session, email):
        errors["email"] = "An account with this e-mail address already exists."
    if not data.display_name.strip():
        errors["display_name"] = "Please enter a name."
    uscc = None
    if data.kind in ("legal", "unincorporated"):
        if not (data.org_name or "").strip():
            errors["org_name"] = "Please enter the organisation's registered name."
        if data.uscc and data.uscc.strip():
            try:
                uscc = normalize_uscc(data.uscc)
            except USCCError as exc:
                errors["uscc"] = exc
        elif data.kind == "legal":
            errors["uscc"] = "A legal person must give its unified social credit code."
    problem = password_problem(data.password)
    if problem:
        errors["password"] = problem
    elif data.password != data.password_confirm:
        errors["password_confirm"] = "The two passwords do not match."
    if not data.accept_rules:
        errors["accept_rules"] = "You must accept the platform rules of use to register."
    if errors:
        raise ValidationErrors(errors)

    settings = _settings(session)
    now = utcnow()
    user = User(
        email=email, display_name=data.display_name.strip(), kind=data.kind,
        org_name=(data.org_name or "").strip() or None if data.kind != "natural" else None,
        uscc=uscc, phone=(data.phone or "").strip() or None, password_hash=hash_password(data.password),
        is_active=True, failed_logins=0, session_epoch=0, lang=principal.lang, created_at=now,
    )
    session.add(user)
    session.flush()
    session.add(RulesAcceptance(user_id=user.id, version=settings.rules_version, accepted_at=now, ip=ip))
    actor = Principal(user_id=user.id, label=email)
    record(session, actor, "accounts.register", "user", user.id,
           after={"email": email, "kind": data.kind, "uscc": uscc, "rules_version": settings.rules_version})
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None  # msgid
    locked_until: dt.datetime | None = None


@service(PUBLIC)
def authenticate(session: Session, principal: Principal, email: str, password: str) -> LoginResult:
    """Check a password; after ``login_max_failures`` wrong ones the account is locked for a while.

    The failure count is committed, so the result is returned rather than raised."""
    settings = _settings(session)
    now = utcnow()
    user = _user_by_email(session, email.strip())
    generic = "The e-mail address or password is wrong."
    if user is None:
        hash_password(password)  # same work as a real check, so timing does not reveal accounts
        return LoginResult(None, generic)
    if user.locked_until and user.locked_until > now:
        return LoginResult(None, "Too many failed sign-ins: the account is locked until %(until)s.",
                           user.locked_until)
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        locked = None
        if user.failed_logins >= settings.login_max_failures:
            locked = now + dt.timedelta(minutes=settings.login_lockout_minutes)
            user.locked_until, user.failed_logins = locked, 0
        record(session, Principal(user_id=None, label=user.email), "accounts.login_failed", "user", user.id,
               after={"locked_until": locked})
        if locked:
            return LoginResult(None, "Too many failed sign-ins: the account is locked until %(until)s.", locked)
        return LoginResult(None, generic)
    if not user.is_active:
        return LoginResult(None, "This account has been closed. Please contact the platform operator.")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(session, Principal(user_id=user.id, label=user.email), "accounts.login", "user", user.id)
    return LoginResult(user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@service(PUBLIC)
def request_password_reset(session: Session, principal: Principal, email: str) -> None:
    """Mail a one-time reset link if the account exists; answer the same either way."""
    settings = _settings(session)
    try:
        user = _user_by_email(session, normalize_email(email))
    except BusinessRuleError:
        return
    if user is None or not user.is_active:
        return
    token = secrets.token_urlsafe(32)
    now = utcnow()
    reset = PasswordResetToken(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                               expires_at=now + dt.timedelta(hours=settings.password_reset_hours))
    session.add(reset)
    session.flush()
    record(session, Principal(user_id=None, label=user.email), "accounts.password_reset_requested",
           "user", user.id)
    link = f"{settings.base_url.rstrip('/')}/password/reset/{token}"
    subject = gettext_in(user.lang, "Reset your Kaifang password")
    body = gettext_in(user.lang, "reset_mail_body", name=user.display_name, link=link,
                      hours=settings.password_reset_hours)
    enqueue(session, "mail.send", to=user.email, subject=subject, body=body)


@service(PUBLIC)
def reset_password(session: Session, principal: Principal, token: str, password: str, confirm: str) -> User:
    now = utcnow()
    reset = session.execute(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if reset is None or reset.used_at is not None or reset.expires_at < now:
        raise BusinessRuleError("This reset link is invalid or has expired. Please request a new one.")
    problem = password_problem(password)
    if problem:
        raise ValidationErrors({"password": problem})
    if password != confirm:
        raise ValidationErrors({"password_confirm": "The two passwords do not match."})
    user = session.get(User, reset.user_id)
    assert user is not None
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    user.failed_logins, user.locked_until = 0, None
    reset.used_at = now
    record(session, Principal(user_id=user.id, label=user.email), "accounts.password_reset", "user", user.id)
    return user


@service(AUTHENTICATED)
def change_password(session: Session, principal: Principal, old: str, new: str, confirm: str) -> User:
    user = session.get(User, principal.user_id)
    assert user is not None
    if not verify_password(user.password_hash, old):
        raise ValidationErrors({"old_password": "The current password is wrong."})
    problem = password_problem(new)
    if problem:
        raise ValidationErrors({"password": problem})
    if new != confirm:
        raise ValidationErrors({"password_confirm": "The two passwords do not match."})
    user.password_hash = hash_password(new)
    user.session_epoch += 1
    record(session, principal, "accounts.password_changed", "user", user.id)
    return user


@service(Permission.SELF_UPDATE)
def update_profile(session: Session, principal: Principal, data: ProfileUpdate) -> User:
    user = session.get(User, principal.user_id)
    assert user is not None
    if not data.display_name.strip():
        raise ValidationErrors({"display_name": "Please enter a name."})
    before = {"display_name": user.display_name, "phone": user.phone, "lang": user.lang}
    user.display_name, user.phone, user.lang = data.display_name.strip(), (data.phone or "").strip() or None, data.lang
    record(session, principal, "accounts.profile_updated", "user", user.id, before=before,
           after={"display_name": user.display_name, "phone": user.phone, "lang": user.lang})
    return user


@service(AUTHENTICATED)
def accept_rules(session: Session, principal: Principal, ip: str | None = None) -> RulesAcceptance:
    """A9.5: accept the current version of the platform rules of use."""
    version = _settings(session).rules_version
    acc = RulesAcceptance(user_id=principal.user_id, version=version, accepted_at=utcnow(), ip=ip)
    session.add(acc)
    record(session, principal, "accounts.rules_accepted", "user", principal.user_id, after={"version": version})
    return acc
