"""Calendar writes by the platform operator: overrides, bulk import, declared years. Each is audited."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.audit import record
from kaifang.db import utcnow
from kaifang.errors import Message
from kaifang.security import BusinessRuleError, NotFound, Permission, Principal, service
from kaifang.workdays.calendar import SHANGHAI, CalendarNotCovered, WorkdayCalendar, package_covers
from kaifang.workdays.models import CalendarOverride, CalendarYear

NOTE_MAX = 200
# The first year chinesecalendar knows; no deadline of the platform lies earlier.
MIN_YEAR = 2004
LINE_FORMAT = "Each line must read YYYY-MM-DD,workday|holiday,note."
_KINDS = {"workday": True, "holiday": False}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Problem = tuple[str, dict[str, Any]]  # (msgid, params)


LINE_PROBLEM = "Line %(line)s: %(problem)s"


class ImportErrors(BusinessRuleError):
    """Bad lines of an import; ``errors`` lists (line number, msgid, params) in line order, and the ``problems``
    parameter the same as messages ("Line 3: ..."), which a page lists under the summary."""

    def __init__(self, errors: list[tuple[int, str, dict[str, Any]]]) -> None:
        super().__init__("Nothing was imported. Please correct these lines: %(lines)s",
                         lines=", ".join(str(n) for n, _, _ in errors),
                         problems=[Message(LINE_PROBLEM, {"line": n, "problem": Message(msgid, params)})
                                   for n, msgid, params in errors])
        self.errors = errors


def _max_year() -> int:
    # The State Council publishes next year's schedule in the autumn: nothing later can be known.
    return utcnow().astimezone(SHANGHAI).year + 1


def _year_problem(year: int) -> Problem | None:
    if not MIN_YEAR <= year <= _max_year():
        return ("%(year)s is outside the years the calendar can hold (%(first)s to %(last)s).",
                {"year": year, "first": MIN_YEAR, "last": _max_year()})
    return None


def _note_problem(note: str) -> Problem | None:
    if not note:
        return "Please enter a note saying why (for example, the State Council notice).", {}
    if len(note) > NOTE_MAX:
        return "The note must be at most %(max)s characters long.", {"max": NOTE_MAX}
    return None


def _redundant_problem(date: dt.date, is_workday: bool) -> Problem | None:
    try:
        official = WorkdayCalendar().is_workday(date)  # the package alone, no overrides
    except CalendarNotCovered:
        return None  # a year the package does not know yet: exactly what overrides are for
    if official == is_workday:
        # A redundant override would pin today's value even if the official schedule is corrected.
        return ("The official calendar already gives %(date)s this status, so no override is needed.",
                {"date": date.isoformat()})
    return None


def _override_problem(date: dt.date, is_workday: bool, note: str) -> Problem | None:
    return _year_problem(date.year) or _note_problem(note) or _redundant_problem(date, is_workday)


def _raise(problem: Problem | None, field: str) -> None:
    if problem:
        raise BusinessRuleError(problem[0], field=field, **problem[1])


def _snapshot(ov: CalendarOverride) -> dict[str, Any]:
    return {"date": ov.date.isoformat(), "is_workday": ov.is_workday, "note": ov.note}


def _check_types(date: dt.date, is_workday: bool) -> None:
    # Programming errors, not user input: a datetime would silently lose its time zone.
    if isinstance(date, dt.datetime) or not isinstance(date, dt.date):
        raise TypeError("date must be a datetime.date")
    if not isinstance(is_workday, bool):
        raise TypeError("is_workday must be a bool")


def _apply(session: Session, principal: Principal, date: dt.date, is_workday: bool, note: str) -> CalendarOverride:
    """Create or change the override of ``date`` (already validated) and audit it."""
    ov = session.execute(select(CalendarOverride).where(CalendarOverride.date == date)).scalar_one_or_none()
    before = _snapshot(ov) if ov else None
    if ov is None:
        ov = CalendarOverride(date=date)
        session.add(ov)
    ov.is_workday, ov.note = is_workday, note
    ov.created_by_user_id, ov.created_at = principal.user_id, utcnow()
    session.flush()
    record(session, principal, "workdays.override_set", "calendar_override", ov.id,
           before=before, after=_snapshot(ov))
    return ov


@service(Permission.CALENDAR_MANAGE)
def set_override(session: Session, principal: Principal, date: dt.date, is_workday: bool,
                 note: str) -> CalendarOverride:
    """Fix whether ``date`` is a working day, over what the package says (A10.1, A20.3 deadlines)."""
    _check_types(date, is_workday)
    note = note.strip()
    _raise(_year_problem(date.year), "date")
    _raise(_note_problem(note), "note")
    _raise(_redundant_problem(date, is_workday), "is_workday")
    return _apply(session, principal, date, is_workday, note)


@service(Permission.CALENDAR_MANAGE)
def delete_override(session: Session, principal: Principal, date: dt.date, reason: str) -> None:
    """Remove the override of ``date``: the package (or the declared-year rule) answers again."""
    _check_types(date, True)
    reason = reason.strip()
    _raise(_note_problem(reason), "reason")
    ov = session.execute(select(CalendarOverride).where(CalendarOverride.date == date)).scalar_one_or_none()
    if ov is None:
        raise NotFound()
    before = _snapshot(ov)
    ov_id = ov.id
    session.delete(ov)
    session.flush()
    record(session, principal, "workdays.override_deleted", "calendar_override", ov_id,
           before=before, after={"reason": reason})


@dataclass(frozen=True)
class _Line:
    number: int
    date: dt.date
    is_workday: bool
    note: str


def _parse_line(number: int, line: str, seen: dict[dt.date, int]) -> _Line | Problem:
    parts = [p.strip() for p in line.split(",", 2)]  # the note may itself contain commas
    if len(parts) != 3:
        return LINE_FORMAT, {}
    raw_date, raw_kind, note = parts
    try:
        if not _ISO_DATE.match(raw_date):
            raise ValueError(raw_date)
        date = dt.date.fromisoformat(raw_date)
    except ValueError:
        return "This is not a valid date: write it as YYYY-MM-DD.", {}
    if raw_kind.lower() not in _KINDS:
        return "The second field must be workday or holiday.", {}
    if date in seen:
        return "This date appears twice (first on line %(line)s).", {"line": seen[date]}
    seen[date] = number
    is_workday = _KINDS[raw_kind.lower()]
    return _override_problem(date, is_workday, note) or _Line(number, date, is_workday, note)


@service(Permission.CALENDAR_MANAGE)
def import_overrides(session: Session, principal: Principal, text: str) -> list[CalendarOverride]:
    """Load many overrides at once, e.g. next year's State Council schedule: all or nothing.

    One ``YYYY-MM-DD,workday|holiday,note`` per line; blank lines and ``#`` comments are skipped, and
    so is a first line of column names starting with ``date``. Every bad line is reported with its number.
    """
    lines: list[_Line] = []
    errors: list[tuple[int, str, dict[str, Any]]] = []
    seen: dict[dt.date, int] = {}
    first = True
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):  # BOM: spreadsheet exports
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if first and line.lower().startswith("date"):
            first = False
            continue
        first = False
        parsed = _parse_line(number, line, seen)
        if isinstance(parsed, _Line):
            lines.append(parsed)
        else:
            errors.append((number, parsed[0], parsed[1]))
    if errors:
        raise ImportErrors(errors)
    if not lines:
        raise BusinessRuleError("There is nothing to import.")
    return [_apply(session, principal, ln.date, ln.is_workday, ln.note) for ln in lines]


@service(Permission.CALENDAR_MANAGE)
def declare_year(session: Session, principal: Principal, year: int, note: str) -> CalendarYear:
    """Declare ``year`` fully loaded: its days without an override follow the weekday rule.

    Refused when the package already knows the year, and before any holiday of the year has been
    entered, since every official schedule closes some weekdays (Spring Festival, National Day).
    """
    note = note.strip()
    _raise(_year_problem(year), "year")
    _raise(_note_problem(note), "note")
    if session.get(CalendarYear, year) is not None:
        raise BusinessRuleError("%(year)s has already been declared.", field="year", year=year)
    if package_covers(year):
        raise BusinessRuleError("The official calendar already covers %(year)s, so there is nothing to declare.",
                                field="year", year=year)
    in_year = CalendarOverride.date.between(dt.date(year, 1, 1), dt.date(year, 12, 31))
    days_off = session.execute(select(CalendarOverride.date).where(in_year, CalendarOverride.is_workday.is_(False)))
    if not any(d.weekday() < 5 for d in days_off.scalars()):
        raise BusinessRuleError(
            "Enter the official holidays of %(year)s as overrides before declaring the year loaded.",
            field="year", year=year)
    count = session.execute(select(func.count()).select_from(CalendarOverride).where(in_year)).scalar_one()
    cy = CalendarYear(year=year, note=note, declared_by_user_id=principal.user_id, declared_at=utcnow())
    session.add(cy)
    session.flush()
    record(session, principal, "workdays.year_declared", "calendar_year", year,
           after={"year": year, "note": note, "overrides": count})
    return cy


@service(Permission.CALENDAR_MANAGE)
def withdraw_year(session: Session, principal: Principal, year: int, reason: str) -> None:
    """Undo a declaration made by mistake: the year is no longer covered (its overrides stay)."""
    reason = reason.strip()
    _raise(_note_problem(reason), "reason")
    cy = session.get(CalendarYear, year)
    if cy is None:
        raise NotFound()
    before = {"year": cy.year, "note": cy.note}
    session.delete(cy)
    session.flush()
    record(session, principal, "workdays.year_withdrawn", "calendar_year", year,
           before=before, after={"reason": reason})
