"""The operator-editable side of the working-day calendar: per-date overrides and declared years."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kaifang.db import Base, UTCDateTime


class CalendarOverride(Base):
    """One date whose working-day status the operator fixes by hand; it wins over the package.

    Used for next year's State Council schedule before ``chinesecalendar`` knows it, and for emergency
    changes. ``created_*`` describe the value in force: changing an override rewrites them, and the
    audit trail keeps the earlier values.
    """

    __tablename__ = "calendar_override"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(String(200))
    # No foreign key: the system principal (user_id None) also writes, and users are never deleted.
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CalendarYear(Base):
    """A year the operator declares fully loaded: its days without an override follow the weekday rule
    (Mon–Fri working, Sat/Sun rest). Without a declaration an uncovered year is an error, never a guess."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(String(200))
    declared_by_user_id: Mapped[int | None] = mapped_column(Integer)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
