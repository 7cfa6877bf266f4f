"""``Due``: a deadline as a staff queue shows it (A20.3, A23.1)."""

from __future__ import annotations

import datetime as dt

from kaifang.workdays import SHANGHAI, Due, WorkdayCalendar, due_reader

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=SHANGHAI)  # a Tuesday
CALENDAR = WorkdayCalendar()


def test_a_deadline_ahead_counts_the_working_days_left() -> None:
    due_at = CALENDAR.deadline(NOW, 3)
    assert due_reader(CALENDAR, NOW)(due_at) == Due("2025-03-07", 3, False)


def test_a_deadline_passed_is_overdue() -> None:
    due = due_reader(CALENDAR, NOW)(CALENDAR.deadline(NOW - dt.timedelta(days=14), 2))
    assert due is not None and due.overdue and due.left is not None and due.left < 0


def test_no_deadline_and_a_year_the_calendar_does_not_cover() -> None:
    due = due_reader(CALENDAR, NOW)
    assert due(None) is None
    far = dt.datetime(2099, 6, 1, 16, 0, tzinfo=dt.UTC)
    assert due(far) == Due("2099-06-01", None, False)  # midnight ends the day before
