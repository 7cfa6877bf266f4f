"""The one history table every workflow writes: a row per transition taken."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kaifang.db import Base, UTCDateTime


class WorkflowHistory(Base):
    """One transition of one object: who moved it from which state to which, when, and why.

    Generic on purpose (object type + id as text), so every domain's process shares one table and one
    reader; the audit trail holds the same facts hash-chained (A9.4).
    """

    __tablename__ = "workflow_history"
    __table_args__ = (Index("ix_workflow_history_object", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workflow: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    transition: Mapped[str] = mapped_column(String(50))
    # No foreign key: the system principal (user id None) also takes transitions; users are never deleted.
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON of the transition's details
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
