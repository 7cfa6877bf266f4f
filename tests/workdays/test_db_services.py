"""Calendar services and queries against the real database (A10.1, A20.3 deadlines).

Each test runs in the ``session`` fixture's rolled-back transaction; the services commit to a savepoint.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.security import (
    ANONYMOUS,
    SYSTEM,
    BusinessRuleError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Principal,
    Role,
    RoleGrant,
)
from kaifang.workdays import (
    SHANGHAI,
    CalendarNotCovered,
    DaySource,
    ImportErrors,
    deadline_for,
    declare_year,
    delete_override,
    import_overrides,
    list_declared_years,
    list_overrides,
    load_calendar,
    set_override,
    withdraw_year,
)
from kaifang.workdays.models import CalendarOverride, CalendarYear
from tests.helpers import Audited, audit_events

D = dt.date.fromisoformat
OPERATOR = Principal(user_id=1, label="operator@example.cn", grants=frozenset({RoleGrant(Role.OPERATOR)}))
# A city bureau works on the platform but does not hold workdays:calendar:manage.
BUREAU = Principal(user_id=2, label="bureau@example.cn",
                   grants=frozenset({RoleGrant(Role.CITY_BUREAU, 10, "320500")}))

# Illustrative, not the official 2027 schedule (unpublished when written): enough to exercise loading.
SCHEDULE_2027 = """\
date,kind,note
# New Year's Day
2027-01-01,holiday,元旦
2027-02-06,workday,春节调休上班
2027-02-08,holiday,春节, illustrative
"""


def sh(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def events(session: Session, action: str) -> list[Audited]:
    return audit_events(session, action)


def count_overrides(session: Session) -> int:
    return session.execute(select(func.count()).select_from(CalendarOverride)).scalar_one()


def test_db_a10_1_override_wins_over_the_package(session: Session) -> None:
    set_override(session, SYSTEM, D("2025-10-08"), True, "Emergency: offices open")
    cal = load_calendar(session, ANONYMOUS)
    assert cal.is_workday(D("2025-10-08")) and cal.describe(D("2025-10-08")).source == DaySource.OVERRIDE
    # A20.3: the deadline follows the override: 09-30 -> 10-08 (override) instead of 10-09.
    assert deadline_for(session, sh("2025-09-30 10:00"), 1) == sh("2025-10-09 00:00")


def test_db_a10_1_set_override_is_audited(session: Session) -> None:
    ov = set_override(session, OPERATOR, D("2025-10-08"), True, "  Emergency: offices open  ")
    assert (ov.note, ov.created_by_user_id) == ("Emergency: offices open", 1)
    assert ov.created_at.tzinfo is not None
    ov2 = set_override(session, OPERATOR, D("2025-10-08"), True, "Corrected note")
    assert ov2.id == ov.id and count_overrides(session) == 1
    evs = events(session, "workdays.override_set")
    assert [e.object_id for e in evs] == [str(ov.id)] * 2
    assert evs[0].actor_id == 1 and evs[0].object_type == "calendar_override"
    first, second = evs
    assert first.before == {}
    assert first.after == {"date": "2025-10-08", "is_workday": True, "note": "Emergency: offices open"}
    assert second.before["note"] == "Emergency: offices open" and second.after["note"] == "Corrected note"


def test_db_a10_1_delete_override_is_audited(session: Session) -> None:
    ov = set_override(session, OPERATOR, D("2025-10-08"), True, "Emergency: offices open")
    delete_override(session, OPERATOR, D("2025-10-08"), "Emergency over")
    assert count_overrides(session) == 0
    assert load_calendar(session, ANONYMOUS).is_workday(D("2025-10-08")) is False  # the package again
    (ev,) = events(session, "workdays.override_deleted")
    assert ev.object_id == str(ov.id)
    assert ev.after == {"reason": "Emergency over"}
    with pytest.raises(NotFound):
        delete_override(session, OPERATOR, D("2025-10-08"), "again")


def test_db_permission_refused_without_calendar_manage(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        set_override(session, BUREAU, D("2025-10-08"), True, "not mine to change")
    with pytest.raises(PermissionDenied):
        import_overrides(session, BUREAU, "2027-01-01,holiday,元旦")
    with pytest.raises(PermissionDenied):
        declare_year(session, BUREAU, 2027, "loaded")
    with pytest.raises(PermissionDenied):
        list_overrides(session, BUREAU)
    with pytest.raises(NotAuthenticated):
        set_override(session, ANONYMOUS, D("2025-10-08"), True, "anonymous")
    assert count_overrides(session) == 0 and events(session, "workdays.override_set") == []
    # Reading the calendar is public.
    assert load_calendar(session, ANONYMOUS).is_workday(D("2025-10-08")) is False


@pytest.mark.parametrize(("day", "is_workday", "note", "field"), [
    ("2025-10-08", True, "   ", "note"),  # a note is required
    ("2025-10-08", True, "x" * 201, "note"),
    ("2003-05-05", True, "before the calendar", "date"),
    ("2099-01-01", False, "far future", "date"),
    ("2025-10-07", False, "already a holiday", "is_workday"),  # redundant with the package
    ("2025-10-11", True, "already a make-up day", "is_workday"),
])
def test_db_nonsense_override_is_refused(session: Session, day: str, is_workday: bool, note: str,
                                         field: str) -> None:
    with pytest.raises(BusinessRuleError) as caught:
        set_override(session, OPERATOR, D(day), is_workday, note)
    assert caught.value.field == field
    assert count_overrides(session) == 0


def test_db_import_with_bad_lines_reports_them_and_writes_nothing(session: Session) -> None:
    lines = [
        "# 2027 schedule",              # 1: comment
        "2027-01-01,holiday,元旦",       # 2: good
        "2027-13-01,holiday,no month",  # 3: bad date
        "2027-02-06,workday,调休",       # 4: good
        "2027-02-08,off,春节",           # 5: bad kind
        "2027-01-01,holiday,again",     # 6: duplicate of line 2
        "2027-02-09,holiday",           # 7: no note
    ]
    text = "\n".join(lines)
    with pytest.raises(ImportErrors) as caught:
        import_overrides(session, OPERATOR, text)
    exc = caught.value
    assert [n for n, _, _ in exc.errors] == [3, 5, 6, 7]
    assert exc.params["lines"] == "3, 5, 6, 7"
    assert [m.params["line"] for m in exc.params["problems"]] == [3, 5, 6, 7]  # listed by a page under the summary
    assert exc.errors[2][2] == {"line": 2}
    assert count_overrides(session) == 0 and events(session, "workdays.override_set") == []


def test_db_import_refuses_empty_text(session: Session) -> None:
    with pytest.raises(BusinessRuleError) as caught:
        import_overrides(session, OPERATOR, "\n# nothing\n")
    assert caught.value.message == "There is nothing to import."


def test_db_a10_1_a20_3_2027_works_once_loaded_and_declared(session: Session) -> None:
    loaded = import_overrides(session, OPERATOR, SCHEDULE_2027)
    assert [o.date for o in loaded] == [D("2027-01-01"), D("2027-02-06"), D("2027-02-08")]
    assert loaded[2].note == "春节, illustrative"  # commas in the note survive
    assert len(events(session, "workdays.override_set")) == 3
    # Overrides alone do not cover the year: still an error, never a guess.
    with pytest.raises(CalendarNotCovered):
        deadline_for(session, sh("2026-12-30 10:00"), 3)

    declared = declare_year(session, OPERATOR, 2027, "State Council notice for 2027")
    assert declared.declared_by_user_id == 1
    (ev,) = events(session, "workdays.year_declared")
    assert (ev.object_type, ev.object_id) == ("calendar_year", "2027")
    assert ev.after["overrides"] == 3
    # 12-31 (1), 01-01 holiday, weekend, 01-04 (2), 01-05 (3).
    assert deadline_for(session, sh("2026-12-30 10:00"), 3) == sh("2027-01-06 00:00")
    # 02-05 Fri (1), 02-06 make-up Sat (2), 02-08 holiday, 02-09 (3).
    assert deadline_for(session, sh("2027-02-04 10:00"), 3) == sh("2027-02-10 00:00")
    assert [o.date for o in list_overrides(session, OPERATOR, 2027)] == [o.date for o in loaded]
    assert list_overrides(session, OPERATOR, 2026) == []
    assert [y.year for y in list_declared_years(session, OPERATOR)] == [2027]


def test_db_declare_year_refusals(session: Session) -> None:
    with pytest.raises(BusinessRuleError) as caught:
        declare_year(session, OPERATOR, 2027, "nothing loaded yet")
    assert caught.value.params == {"year": 2027}  # no holiday entered: refused
    with pytest.raises(BusinessRuleError):
        declare_year(session, OPERATOR, 2026, "the package knows it")
    set_override(session, OPERATOR, D("2027-01-01"), False, "元旦")
    with pytest.raises(BusinessRuleError):
        declare_year(session, OPERATOR, 2027, "")  # a note is required
    declare_year(session, OPERATOR, 2027, "loaded")
    with pytest.raises(BusinessRuleError):
        declare_year(session, OPERATOR, 2027, "twice")
    assert session.execute(select(func.count()).select_from(CalendarYear)).scalar_one() == 1


def test_db_withdraw_year(session: Session) -> None:
    set_override(session, OPERATOR, D("2027-01-01"), False, "元旦")
    declare_year(session, OPERATOR, 2027, "loaded")
    withdraw_year(session, OPERATOR, 2027, "declared by mistake")
    assert not load_calendar(session, ANONYMOUS).covers(2027)
    assert len(events(session, "workdays.year_withdrawn")) == 1
    with pytest.raises(NotFound):
        withdraw_year(session, OPERATOR, 2027, "again")
