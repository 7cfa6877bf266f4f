"""The working-day calendar and deadlines without a database (A10.1, A20.3 deadlines).

Dates are the official State Council schedules (国务院办公厅关于<year>年部分节假日安排的通知):
- 2024 (notice of 2023-10-25): Spring Festival 02-10..17 off, make-up workdays 02-04 (Sun), 02-18 (Sun);
  National Day 10-01..07 off, make-up workdays 09-29 (Sun), 10-12 (Sat).
- 2025 (notice of 2024-11-12): Spring Festival 01-28..02-04 off, make-up 01-26 (Sun), 02-08 (Sat);
  National Day + Mid-Autumn 10-01..08 off, make-up 09-28 (Sun), 10-11 (Sat).
- 2026 (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04; chinesecalendar 1.11.0 agrees):
  Spring Festival 02-15..23 off, make-up 02-14 (Sat), 02-28 (Sat); Mid-Autumn 09-25..27 off;
  National Day 10-01..07 off, make-up 09-20 (Sun), 10-10 (Sat).
"""

from __future__ import annotations

import datetime as dt

import pytest

from kaifang.workdays import (
    SHANGHAI,
    CalendarNotCovered,
    DayKind,
    DaySource,
    WorkdayCalendar,
    due_day,
    package_covers,
)

D = dt.date.fromisoformat
UTC = dt.UTC
CAL = WorkdayCalendar()


def sh(text: str) -> dt.datetime:
    """A wall-clock time in Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def days(start: str, end: str) -> list[dt.date]:
    first, last = D(start), D(end)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# --- the official schedules, as the package gives them ------------------------------------------

@pytest.mark.parametrize(("off", "makeup"), [
    (days("2024-02-10", "2024-02-17"), ["2024-02-04", "2024-02-18"]),
    (days("2024-10-01", "2024-10-07"), ["2024-09-29", "2024-10-12"]),
    (days("2025-01-28", "2025-02-04"), ["2025-01-26", "2025-02-08"]),
    (days("2025-10-01", "2025-10-08"), ["2025-09-28", "2025-10-11"]),
    (days("2026-02-15", "2026-02-23"), ["2026-02-14", "2026-02-28"]),
    (days("2026-10-01", "2026-10-07") + days("2026-09-25", "2026-09-27"), ["2026-09-20", "2026-10-10"]),
])
def test_a10_1_official_holidays_and_makeup_days(off: list[dt.date], makeup: list[str]) -> None:
    for day in off:
        info = CAL.describe(day)
        assert not info.is_workday and info.kind == DayKind.HOLIDAY, day
    for text in makeup:
        info = CAL.describe(D(text))
        assert info.is_workday and info.kind == DayKind.MAKEUP_WORKDAY and info.source == DaySource.PACKAGE


def test_a10_1_ordinary_days() -> None:
    assert CAL.describe(D("2024-02-03")).kind == DayKind.REST_DAY  # a plain Saturday
    assert CAL.describe(D("2024-02-05")).kind == DayKind.WORKDAY


# --- A20.3 deadlines: the day of receipt never counts -------------------------------------------

@pytest.mark.parametrize(("received", "n", "last"), [
    ("2024-10-03", 1, "2024-10-08"),  # received on a holiday
    ("2024-10-03", 5, "2024-10-12"),  # ... the make-up Saturday counts
    ("2024-10-03", 6, "2024-10-14"),
    ("2025-10-01", 1, "2025-10-09"),
    ("2024-02-04", 1, "2024-02-05"),  # received on a make-up Sunday: it does not count itself
    ("2024-10-12", 1, "2024-10-14"),  # received on a make-up Saturday
    ("2025-02-08", 1, "2025-02-10"),
    ("2024-10-11", 1, "2024-10-12"),  # received the day before a make-up Saturday: it counts
    ("2024-09-30", 1, "2024-10-08"),  # received the day before a long holiday
    ("2025-09-30", 1, "2025-10-09"),
    ("2024-02-09", 1, "2024-02-18"),  # ... and the first day back is a make-up Sunday
    ("2025-01-27", 1, "2025-02-05"),
    ("2024-02-03", 1, "2024-02-04"),  # received on a plain Saturday: the make-up Sunday is day 1
])
def test_a20_3_add_workdays_receipt_day_never_counts(received: str, n: int, last: str) -> None:
    assert CAL.add_workdays(D(received), n) == D(last)


@pytest.mark.parametrize(("received", "last"), [
    ("2024-02-05", "2024-02-23"),  # Spring Festival 2024, with the make-up Sunday 02-18
    ("2025-01-24", "2025-02-13"),  # Spring Festival 2025, make-up 01-26 and 02-08
    ("2026-02-12", "2026-03-04"),  # Spring Festival 2026, make-up 02-14 and 02-28
    ("2024-09-27", "2024-10-16"),  # National Day 2024, make-up 09-29 and 10-12
    ("2025-09-26", "2025-10-16"),  # National Day + Mid-Autumn 2025, make-up 09-28 and 10-11
    ("2026-09-18", "2026-10-09"),  # Mid-Autumn and National Day 2026, make-up 09-20
])
def test_a10_1_a20_3_ten_working_days_across_long_holidays(received: str, last: str) -> None:
    assert CAL.add_workdays(D(received), 10) == D(last)


def test_a20_3_deadline_is_24_00_shanghai_of_the_last_working_day() -> None:
    due = CAL.deadline(sh("2024-09-30 10:00"), 1)
    assert due == dt.datetime(2024, 10, 8, 16, 0, tzinfo=UTC)  # = 2024-10-09 00:00 in Shanghai
    assert due.utcoffset() == dt.timedelta(0)
    assert due.astimezone(SHANGHAI) == sh("2024-10-09 00:00")
    assert due_day(due) == D("2024-10-08")
    # One minute before midnight of the last day is still in time.
    assert sh("2024-10-08 23:59") < due <= sh("2024-10-09 00:00")


def test_a20_3_receipt_time_is_taken_in_shanghai() -> None:
    # 2025-09-29 16:30 UTC is already Tuesday 09-30 00:30 in Shanghai; by the UTC date (Monday) the
    # deadline would wrongly be Tuesday.
    received = dt.datetime(2025, 9, 29, 16, 30, tzinfo=UTC)
    assert CAL.deadline(received, 1) == sh("2025-10-10 00:00")
    # The brief's example: 2026-09-30 23:30 UTC is a receipt on the holiday 10-01.
    assert CAL.deadline(dt.datetime(2026, 9, 30, 23, 30, tzinfo=UTC), 2) == sh("2026-10-10 00:00")
    # Receipt late evening in Shanghai (still the same day there) keeps its date.
    assert CAL.deadline(sh("2024-09-29 23:59"), 1) == sh("2024-10-01 00:00")


def test_a20_3_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        CAL.deadline(dt.datetime(2024, 9, 30, 10, 0), 1)  # naive: no place on the calendar
    for n in (0, -1):
        with pytest.raises(ValueError):
            CAL.add_workdays(D("2024-09-30"), n)
    with pytest.raises(TypeError):
        CAL.is_workday(dt.datetime(2024, 9, 30, 20, 0, tzinfo=UTC))  # type: ignore[arg-type]


# --- queues: working days left ------------------------------------------------------------------

def test_a20_3_remaining_workdays_for_queues() -> None:
    due = CAL.deadline(sh("2024-09-27 10:00"), 10)  # last day 2024-10-16
    assert CAL.remaining_workdays(sh("2024-09-27 15:00"), due) == 10
    assert CAL.remaining_workdays(sh("2024-10-03 12:00"), due) == 8  # during the holiday
    assert CAL.remaining_workdays(sh("2024-10-16 09:00"), due) == 0  # due today
    assert CAL.remaining_workdays(sh("2024-10-17 09:00"), due) == -1
    assert CAL.remaining_workdays(sh("2024-10-19 09:00"), due) == -2  # Thu and Fri have passed
    friday = CAL.deadline(sh("2024-10-17 09:00"), 1)  # last day Friday 2024-10-18
    assert CAL.remaining_workdays(sh("2024-10-19 09:00"), friday) == -1  # overdue, only a Saturday since


def test_workdays_between_is_antisymmetric() -> None:
    assert CAL.workdays_between(D("2024-09-30"), D("2024-10-08")) == 1
    assert CAL.workdays_between(D("2024-10-08"), D("2024-09-30")) == -1
    assert CAL.workdays_between(D("2024-10-01"), D("2024-10-01")) == 0


# --- years the calendar does not cover ----------------------------------------------------------

def test_a10_1_uncovered_year_is_an_error_never_a_guess() -> None:
    assert package_covers(2026) and not package_covers(2027)
    with pytest.raises(CalendarNotCovered) as caught:
        CAL.is_workday(D("2027-01-04"))  # an ordinary Monday, still not guessed
    exc = caught.value
    assert exc.year == 2027 and exc.params == {"year": 2027}
    assert "does not cover 2027" in str(exc) and "official holiday schedule" in str(exc)
    # A deadline running from December 2026 into 2027 is refused too.
    with pytest.raises(CalendarNotCovered):
        CAL.deadline(sh("2026-12-30 10:00"), 3)
    assert not CAL.covers(2027)


def test_a10_1_overrides_alone_do_not_cover_a_year() -> None:
    cal = WorkdayCalendar({D("2027-01-01"): False})
    assert cal.is_workday(D("2027-01-01")) is False
    assert not cal.covers(2027)
    with pytest.raises(CalendarNotCovered):
        cal.is_workday(D("2027-01-04"))


def test_a10_1_declared_year_with_overrides_works() -> None:
    # Illustrative overrides, not the official 2027 schedule: New Year's Day off, a make-up Saturday.
    cal = WorkdayCalendar({D("2027-01-01"): False, D("2027-02-06"): True}, {2027})
    assert cal.covers(2027)
    assert cal.describe(D("2027-01-01")).kind == DayKind.HOLIDAY
    makeup = cal.describe(D("2027-02-06"))
    assert makeup.is_workday and makeup.kind == DayKind.MAKEUP_WORKDAY and makeup.source == DaySource.OVERRIDE
    monday = cal.describe(D("2027-01-04"))
    assert monday.is_workday and monday.source == DaySource.DECLARED_YEAR
    assert cal.describe(D("2027-01-02")).kind == DayKind.REST_DAY
    # 12-31 (1), 01-01 off, weekend, 01-04 (2), 01-05 (3).
    assert cal.deadline(sh("2026-12-30 10:00"), 3) == sh("2027-01-06 00:00")
    assert not cal.covers(2028)


def test_a10_1_override_wins_over_the_package() -> None:
    cal = WorkdayCalendar({D("2025-10-08"): True, D("2025-10-09"): False})
    assert cal.describe(D("2025-10-08")).source == DaySource.OVERRIDE
    assert cal.is_workday(D("2025-10-08")) and not cal.is_workday(D("2025-10-09"))
    assert cal.add_workdays(D("2025-09-30"), 1) == D("2025-10-08")
    assert cal.add_workdays(D("2025-10-08"), 1) == D("2025-10-10")
    assert cal.overrides[D("2025-10-08")] is True
    with pytest.raises(TypeError):
        cal.overrides[D("2025-10-10")] = True  # type: ignore[index]  # a snapshot, not a cache to edit
