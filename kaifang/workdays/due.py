"""A statutory deadline as a staff queue shows it (A20.3, A23.1): the day in Beijing time, the working days left,
and whether it has passed. Templates show it with the ``due_text`` and ``queue_table`` macros."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from kaifang.db import utcnow
from kaifang.workdays.calendar import CalendarNotCovered, WorkdayCalendar, due_day


@dataclass(frozen=True)
class Due:
    day: str  # YYYY-MM-DD, Asia/Shanghai
    left: int | None  # working days left; negative when overdue; None when the calendar does not cover it
    overdue: bool = False  # the deadline has passed


def due_reader(calendar: WorkdayCalendar, now: dt.datetime | None = None) -> Callable[[dt.datetime | None], Due | None]:
    """A function turning a ``due_at`` into a ``Due`` (None for None), with one calendar for a whole list:
    ``due = due_reader(load_calendar(session, principal))``."""
    now = now or utcnow()

    def due(at: dt.datetime | None) -> Due | None:
        if at is None:
            return None
        try:
            left: int | None = calendar.remaining_workdays(now, at)
        except CalendarNotCovered:
            left = None
        return Due(due_day(at).isoformat(), left, at <= now)

    return due
