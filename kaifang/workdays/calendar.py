"""Working days and deadlines (A10.1, A20.3): pure logic, no database.

The rule (ARCHITECTURE.md): a deadline of N working days ends at 24:00 Asia/Shanghai of the N-th
working day after the day of receipt. The day of receipt never counts, whatever kind of day it is;
make-up working days (调休) count. A date the calendar does not cover is an error, never a guess.

Where a day's status comes from, first match wins:
1. an operator override (``calendar_override``),
2. the ``chinesecalendar`` package (the State Council schedules it knows),
3. the weekday rule, only for a year the operator declared fully loaded (``calendar_year``);
otherwise ``CalendarNotCovered``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

from kaifang.security import BusinessRuleError

SHANGHAI = ZoneInfo("Asia/Shanghai")

NOT_COVERED_MSGID = (
    "The working-day calendar does not cover %(year)s yet. "
    "The platform operator must load that year's official holiday schedule."
)


class CalendarNotCovered(BusinessRuleError):
    """The calendar does not know whether a day of ``year`` is a working day.

    A BusinessRuleError so that the web layer shows the translated message instead of a crash page,
    and so that a service computing a deadline refuses (and rolls back) rather than guessing.
    """

    def __init__(self, year: int) -> None:
        super().__init__(NOT_COVERED_MSGID, year=year)
        self.year = year

    def __str__(self) -> str:
        return NOT_COVERED_MSGID % {"year": self.year}


class DayKind(StrEnum):
    WORKDAY = "workday"  # an ordinary Monday to Friday
    REST_DAY = "rest_day"  # an ordinary Saturday or Sunday
    HOLIDAY = "holiday"  # 法定节假日, including weekdays moved into a holiday by 调休
    MAKEUP_WORKDAY = "makeup_workday"  # 调休上班: a Saturday or Sunday that is a working day


# English msgids (translated in workdays.po), for calendar pages and exports.
DAY_KIND_LABELS: dict[DayKind, str] = {
    DayKind.WORKDAY: "Working day",
    DayKind.REST_DAY: "Rest day",
    DayKind.HOLIDAY: "Public holiday",
    DayKind.MAKEUP_WORKDAY: "Make-up working day",
}


class DaySource(StrEnum):
    OVERRIDE = "override"
    PACKAGE = "package"
    DECLARED_YEAR = "declared_year"


@dataclass(frozen=True)
class DayInfo:
    day: dt.date
    is_workday: bool
    kind: DayKind
    source: DaySource
    name: str | None = None  # the package's holiday name (English), if any


def _plain_date(day: dt.date) -> dt.date:
    # datetime is a subclass of date: refuse it, or an aware UTC datetime would silently give
    # the wrong calendar day for Shanghai (take .astimezone(SHANGHAI).date() first).
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"a datetime.date is required, got {type(day).__name__}")
    return day


def _shanghai_day(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required: a naive one has no place on the calendar")
    return moment.astimezone(SHANGHAI).date()


class WorkdayCalendar:
    """An immutable snapshot of the calendar: overrides {date: is_workday} and declared years."""

    def __init__(self, overrides: Mapping[dt.date, bool] | None = None,
                 declared_years: Iterable[int] = ()) -> None:
        self._overrides: Mapping[dt.date, bool] = MappingProxyType(
            {_plain_date(d): bool(v) for d, v in (overrides or {}).items()})
        self._declared: frozenset[int] = frozenset(int(y) for y in declared_years)

    @property
    def overrides(self) -> Mapping[dt.date, bool]:
        return self._overrides

    @property
    def declared_years(self) -> frozenset[int]:
        return self._declared

    def __repr__(self) -> str:
        return f"WorkdayCalendar({len(self._overrides)} overrides, declared={sorted(self._declared)})"

    # --- single days -------------------------------------------------------------------------

    def describe(self, day: dt.date) -> DayInfo:
        """Whether ``day`` is a working day, what kind of day it is and who says so."""
        day = _plain_date(day)
        weekend = day.weekday() >= 5
        if day in self._overrides:
            work = self._overrides[day]
            return DayInfo(day, work, _kind(work, weekend, holiday_named=True), DaySource.OVERRIDE)
        try:
            work = chinese_calendar.is_workday(day)
            _, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:  # the package raises this for years it has no schedule for
            if day.year not in self._declared:
                raise CalendarNotCovered(day.year) from None
            return DayInfo(day, not weekend, _kind(not weekend, weekend, False), DaySource.DECLARED_YEAR)
        # A make-up working day carries its holiday's name too, so only a day off is "named".
        return DayInfo(day, work, _kind(work, weekend, holiday_named=name is not None),
                       DaySource.PACKAGE, name)

    def is_workday(self, day: dt.date) -> bool:
        return self.describe(day).is_workday

    def covers(self, year: int) -> bool:
        """Whether every day of ``year`` can be answered without an error."""
        # Not by asking about one day: an override on that day would answer for a year not covered.
        return year in self._declared or package_covers(year)

    # --- counting ----------------------------------------------------------------------------

    def add_workdays(self, received: dt.date, n: int) -> dt.date:
        """The N-th working day after ``received`` (which never counts itself)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError("n must be a whole number of working days, at least 1")
        day, found = _plain_date(received), 0
        while found < n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                found += 1
        return day

    def deadline(self, received_at: dt.datetime, n: int) -> dt.datetime:
        """When a deadline of ``n`` working days from ``received_at`` ends, as an aware UTC datetime.

        That is 24:00 Asia/Shanghai of the N-th working day, i.e. 00:00 Shanghai of the next day
        (16:00 UTC of the N-th working day). UTC because every stored time in the project is UTC;
        use ``due_day()`` or ``.astimezone(SHANGHAI)`` to show it. The receipt time is converted to
        Shanghai before its date is taken: 2026-09-30 23:30 UTC is a receipt on 10-01.
        """
        last = self.add_workdays(_shanghai_day(received_at), n)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)
        return end.astimezone(dt.UTC)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days d with start < d <= end; negative (the same count) when end < start."""
        start, end = _plain_date(start), _plain_date(end)
        if end < start:
            return -self.workdays_between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def remaining_workdays(self, now: dt.datetime, due_at: dt.datetime) -> int:
        """Working days left before ``due_at``, for queues: "3 working days left".

        Counts the working days after today up to the due day, so 0 means "due today" (or due at the
        end of the coming rest days). Once ``due_at`` has passed the answer is always negative: minus
        the working days since the due day, and at least -1 even if only rest days have followed.
        """
        today, last = _shanghai_day(now), due_day(due_at)
        if now < due_at:
            return max(0, self.workdays_between(today, last))
        return min(-1, -self.workdays_between(last, today))


def package_covers(year: int) -> bool:
    """Whether the installed ``chinesecalendar`` knows the State Council schedule of ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def due_day(due_at: dt.datetime) -> dt.date:
    """The last Shanghai calendar day before ``due_at`` ends: the day to print as "by 24:00 of ...".

    A deadline at 00:00 belongs to the day before (24:00 of it), hence the step back of one microsecond.
    """
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return (due_at.astimezone(SHANGHAI) - dt.timedelta(microseconds=1)).date()


def _kind(work: bool, weekend: bool, holiday_named: bool) -> DayKind:
    if work:
        return DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKDAY
    if not weekend or holiday_named:
        return DayKind.HOLIDAY
    return DayKind.REST_DAY
