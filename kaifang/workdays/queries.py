"""Calendar reads: the calendar snapshot every deadline is computed from, and the operator's lists."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.security import ANONYMOUS, PUBLIC, Permission, Principal, query
from kaifang.workdays.calendar import WorkdayCalendar
from kaifang.workdays.models import CalendarOverride, CalendarYear


@query(PUBLIC)
def load_calendar(session: Session, principal: Principal) -> WorkdayCalendar:
    """The calendar as the database says now: every override and every declared year.

    Read afresh each time (the table holds a few dozen rows a year) rather than cached in the
    process, so that an operator's change reaches every web and worker process at once.
    """
    overrides = {d: w for d, w in session.execute(select(CalendarOverride.date, CalendarOverride.is_workday))}
    years = session.execute(select(CalendarYear.year)).scalars().all()
    return WorkdayCalendar(overrides, years)


def deadline_for(session: Session, received_at: dt.datetime, n: int) -> dt.datetime:
    """A10.1, A20.3: when a deadline of ``n`` working days from ``received_at`` ends (aware, UTC).

    For workflows setting ``due_at`` inside their own transaction; raises CalendarNotCovered rather
    than guess when the deadline runs into a year nobody has loaded.
    """
    return load_calendar(session, ANONYMOUS).deadline(received_at, n)


@query(Permission.CALENDAR_MANAGE)
def list_overrides(session: Session, principal: Principal, year: int | None = None) -> list[CalendarOverride]:
    """The overrides (of one year, or all), by date: for the operator's console, with who set them."""
    stmt = select(CalendarOverride).order_by(CalendarOverride.date)
    if year is not None:
        # A range rather than extract(year): same on SQLite and PostgreSQL, and it uses the unique index.
        stmt = stmt.where(CalendarOverride.date.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    return list(session.execute(stmt).scalars())


@query(Permission.CALENDAR_MANAGE)
def list_declared_years(session: Session, principal: Principal) -> list[CalendarYear]:
    return list(session.execute(select(CalendarYear).order_by(CalendarYear.year)).scalars())
