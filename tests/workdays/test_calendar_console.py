"""The operator's calendar page: deadline calculator, overrides and a year the package does not cover."""

from sqlalchemy import select

from kaifang.workdays.models import CalendarOverride
from tests.personas import login, post_form


def test_deadline_calculator_crosses_national_day_A20_3(client, world):
    login(client, world.emails["operator"])
    r = client.get("/console/calendar", params={"year": 2026, "received": "2026-09-30", "days": 10})
    assert r.status_code == 200
    # 10 working days after 2026-09-30: Oct 1-7 off, Oct 10 (Sat) is a make-up working day.
    # Oct 8, 9, 10 (Sat, make-up), 12..16, 19, 20: the tenth is 2026-10-20.
    assert "2026-10-20" in r.text


def test_uncovered_year_gives_a_clear_error(client, world):
    login(client, world.emails["operator"])
    r = client.get("/console/calendar", params={"year": 2027, "received": "2027-03-01", "days": 5})
    assert r.status_code == 200 and "2027" in r.text and "工作日日历尚未涵盖" in r.text


def test_operator_adds_an_override_and_a_bad_date_is_named(client, world, session):
    login(client, world.emails["operator"])
    r = post_form(client, "/console/calendar/overrides",
                  {"date": "2026-12-31", "is_workday": "no", "note": "市政府临时通知"}, token_from="/console/calendar")
    assert r.status_code == 303
    ov = session.execute(select(CalendarOverride)).scalar_one()
    assert (ov.date.isoformat(), ov.is_workday) == ("2026-12-31", False)
    r = post_form(client, "/console/calendar/overrides",
                  {"date": "2026-13-01", "is_workday": "no", "note": "x"}, token_from="/console/calendar")
    assert r.status_code == 400 and "YYYY-MM-DD" in r.text and 'id="e-date"' in r.text


def test_bad_import_names_the_lines_and_writes_nothing(client, world, session):
    login(client, world.emails["operator"])
    text = "2027-01-01,holiday,元旦\n2027-02-30,holiday,坏日期\n2027-02-06,maybe,坏类型\n"
    r = post_form(client, "/console/calendar/import", {"text": text}, token_from="/console/calendar")
    assert r.status_code == 400 and "2, 3" in r.text
    assert "第 2 行：日期无效" in r.text and 'id="problem-import"' in r.text  # each bad line, under the summary
    assert "2027-02-30,holiday,坏日期" in r.text  # the text comes back to be corrected
    assert session.execute(select(CalendarOverride)).first() is None
