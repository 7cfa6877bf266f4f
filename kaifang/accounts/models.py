"""Users, regions, organisations, memberships (roles) and their history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kaifang.db import Base, UTCDateTime


class Region(Base):
    """苏州市 and its county-level units (A5.5, A14.1)."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)  # administrative division code
    name: Mapped[str] = mapped_column(String(50), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(10))  # city | county
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # bureau | provider | operator | expert_committee | supervisor
    kind: Mapped[str] = mapped_column(String(30), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    domain: Mapped[str | None] = mapped_column(String(30))  # a priority domain of A17.1, for providers
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # natural | legal | unincorporated: the three kinds of data user (A5)
    kind: Mapped[str] = mapped_column(String(20))
    org_name: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Bumped on password change/reset: every older session cookie stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    lang: Mapped[str] = mapped_column(String(10), default="zh_CN")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RulesAcceptance(Base):
    """A9.5: which version of the platform rules of use a user accepted, and when."""

    __tablename__ = "rules_acceptance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))


class Membership(Base):
    """A user's role in an organisation."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "org_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class MembershipChange(Base):
    """A35.1: the history of who was registered as chief data officer or data staff, and when."""

    __tablename__ = "membership_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    change: Mapped[str] = mapped_column(String(10))  # added | removed
    reason: Mapped[str] = mapped_column(String(500), default="")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class PasswordResetToken(Base):
    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApiKey(Base):
    """A free API key (A19.1): only for rate limits and statistics, never a condition of access. Stored hashed;
    the key itself is shown once."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists so the owner can tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A20.4: a key bound to a conditional-access grant reads only that grant's dataset, and stops with it.
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("access_grant.id"), index=True)
