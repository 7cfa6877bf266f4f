"""A notification: a message in the platform for one user (also mailed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kaifang.db import Base, UTCDateTime


class Notification(Base):
    """A message in the platform for one user (also mailed): an English msgid with JSON params, and a link."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)  # msgid
    params: Mapped[str] = mapped_column(Text, default="{}")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
