"""Console page for the working-day calendar: overrides, declared years, bulk import, a deadline calculator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang import clock, workdays
from kaifang.errors import Message
from kaifang.i18n import translate
from kaifang.security import BusinessRuleError, Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, require
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import render
from kaifang.workdays.schemas import NOT_A_DATE, ImportInput, OverrideInput, ReasonInput, YearInput

router = APIRouter(prefix="/console/calendar", dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Manager = Annotated[Principal, Depends(require(Permission.CALENDAR_MANAGE))]

# The inputs each form of the page shows (a problem with another input is listed above the forms).
PLACED = {"override": ("date", "is_workday", "note"), "year": ("year", "note"), "import": ("text",)}
DONE = "The calendar has been updated."


def _this_year() -> int:
    return clock.today().year  # in Suzhou


def _page(request: Request, db: Session, principal: Principal, year: int, problem: Problem | None = None, *,
          calc: dict | None = None, status: int = 200) -> Response:
    cal = workdays.load_calendar(db, principal)
    this_year = _this_year()
    years = [(y, workdays.package_covers(y), cal.covers(y)) for y in range(this_year - 1, this_year + 2)]
    return render(request, "workdays/calendar.html", {
        "year": year, "years": years, "overrides": workdays.list_overrides(db, principal, year),
        "declared": workdays.list_declared_years(db, principal), "problem": problem, "calc": calc,
        "kind_labels": workdays.DAY_KIND_LABELS,
    }, status_code=status)


def _calendar_form(request: Request, db: Session, principal: Principal, form: Submitted, name: str, call,
                   shown_year: int | None, done: str | Callable = DONE) -> Response:
    """One form of the page: run its service and show the year it changed (``shown_year``, or the year of the
    day the service returns), or show the page again with every problem."""
    def then(result: object) -> str:
        day = getattr(result, "date", None)
        return f"/console/calendar?year={day.year if isinstance(day, dt.date) else shown_year or _this_year()}"

    return act(request, form, call, done=done, then=then, name=name, placed=PLACED.get(name, ()),
               rerender=lambda problem: _page(request, db, principal, shown_year or _this_year(), problem,
                                              status=400))


@router.get("")
def calendar_page(request: Request, db: DB, principal: Manager, year: int = 0, received: str = "",
                  days: int = 10) -> Response:
    year = year or _this_year()
    calc: dict[str, object] | None = None
    if received:
        calc = {"received": received, "days": days}
        try:
            at = dt.datetime.fromisoformat(received)
            at = at if at.tzinfo else at.replace(tzinfo=workdays.SHANGHAI)
            due = workdays.load_calendar(db, principal).deadline(at, days)
            calc.update(due=due, due_day=workdays.due_day(due))
        except ValueError:
            calc["error"] = translate(NOT_A_DATE)
        except BusinessRuleError as exc:
            calc["error"] = translate(exc)
    return _page(request, db, principal, year, calc=calc)


@router.post("/overrides")
def override_set(request: Request, db: DB, principal: Manager,
                 form: Annotated[Submitted[OverrideInput], Depends(form_of(OverrideInput))]) -> Response:
    return _calendar_form(request, db, principal, form, "override",
                          lambda d: workdays.set_override(db, principal, d.date, d.is_workday == "yes", d.note),
                          form.data.date.year if form.data else None)


@router.post("/overrides/{day}/delete")
def override_delete(request: Request, db: DB, principal: Manager, day: dt.date,
                    form: Annotated[Submitted[ReasonInput], Depends(form_of(ReasonInput))]) -> Response:
    return _calendar_form(request, db, principal, form, "delete",
                          lambda d: workdays.delete_override(db, principal, day, d.reason), day.year)


@router.post("/years")
def year_declare(request: Request, db: DB, principal: Manager,
                 form: Annotated[Submitted[YearInput], Depends(form_of(YearInput))]) -> Response:
    return _calendar_form(request, db, principal, form, "year",
                          lambda d: workdays.declare_year(db, principal, d.year, d.note),
                          form.data.year if form.data and form.data.year else None)


@router.post("/import")
def overrides_import(request: Request, db: DB, principal: Manager,
                     form: Annotated[Submitted[ImportInput], Depends(form_of(ImportInput))]) -> Response:
    def load(data: ImportInput) -> object:  # the first day loaded shows its year
        loaded = workdays.import_overrides(db, principal, data.text)
        return LoadedDays(len(loaded), loaded[0].date if loaded else None)

    return _calendar_form(request, db, principal, form, "import", load, None,
                          lambda loaded: Message("%(n)s calendar days were loaded.", {"n": loaded.count}))


@dataclass(frozen=True)
class LoadedDays:
    count: int
    date: dt.date | None
