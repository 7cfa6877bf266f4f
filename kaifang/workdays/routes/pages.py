"""Console page for the working-day calendar: overrides, declared years, bulk import, a deadline calculator."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kaifang import workdays
from kaifang.i18n import gettext_
from kaifang.security import BusinessRuleError, Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, require
from kaifang.web.templating import flash, render

router = APIRouter(prefix="/console/calendar", dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Manager = Annotated[Principal, Depends(require(Permission.CALENDAR_MANAGE))]


def _page(request: Request, db: Session, principal: Principal, year: int, *, error: str | None = None,
          form: dict | None = None, calc: dict | None = None, status: int = 200) -> Response:
    cal = workdays.load_calendar(db, principal)
    this_year = dt.datetime.now(workdays.SHANGHAI).year
    years = [(y, workdays.package_covers(y), cal.covers(y)) for y in range(this_year - 1, this_year + 2)]
    return render(request, "workdays/calendar.html", {
        "year": year, "years": years, "overrides": workdays.list_overrides(db, principal, year),
        "declared": workdays.list_declared_years(db, principal), "error": error, "form": form or {},
        "calc": calc, "kind_labels": workdays.DAY_KIND_LABELS,
    }, status_code=status)


def _message(exc: BusinessRuleError) -> str:
    return gettext_(exc.message, **exc.params)


@router.get("")
def calendar_page(request: Request, db: DB, principal: Manager, year: int = 0, received: str = "",
                  days: int = 10) -> Response:
    year = year or dt.datetime.now(workdays.SHANGHAI).year
    calc = None
    if received:
        calc = {"received": received, "days": days}
        try:
            at = dt.datetime.fromisoformat(received)
            at = at if at.tzinfo else at.replace(tzinfo=workdays.SHANGHAI)
            calc["due"] = workdays.load_calendar(db, principal).deadline(at, days)
            calc["due_day"] = workdays.due_day(calc["due"])
        except ValueError:
            calc["error"] = gettext_("This is not a valid date: write it as YYYY-MM-DD.")
        except BusinessRuleError as exc:
            calc["error"] = _message(exc)
    return _page(request, db, principal, year, calc=calc)


@router.post("/overrides")
def override_set(request: Request, db: DB, principal: Manager, date: Annotated[str, Form()] = "",
                 is_workday: Annotated[str, Form()] = "no", note: Annotated[str, Form()] = "") -> Response:
    form = {"date": date, "is_workday": is_workday, "note": note}
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        return _page(request, db, principal, dt.datetime.now(workdays.SHANGHAI).year, form=form, status=400,
                     error=gettext_("This is not a valid date: write it as YYYY-MM-DD."))
    try:
        workdays.set_override(db, principal, day, is_workday == "yes", note)
    except BusinessRuleError as exc:
        return _page(request, db, principal, day.year, error=_message(exc), form=form, status=400)
    flash(request, gettext_("The calendar has been updated."))
    return RedirectResponse(f"/console/calendar?year={day.year}", status_code=303)


@router.post("/overrides/{day}/delete")
def override_delete(request: Request, db: DB, principal: Manager, day: dt.date,
                    reason: Annotated[str, Form()] = "") -> Response:
    try:
        workdays.delete_override(db, principal, day, reason)
    except BusinessRuleError as exc:
        return _page(request, db, principal, day.year, error=_message(exc), status=400)
    flash(request, gettext_("The calendar has been updated."))
    return RedirectResponse(f"/console/calendar?year={day.year}", status_code=303)


@router.post("/years")
def year_declare(request: Request, db: DB, principal: Manager, year: Annotated[int, Form()] = 0,
                 note: Annotated[str, Form()] = "") -> Response:
    try:
        workdays.declare_year(db, principal, year, note)
    except BusinessRuleError as exc:
        return _page(request, db, principal, year or dt.datetime.now(workdays.SHANGHAI).year,
                     error=_message(exc), status=400)
    flash(request, gettext_("The calendar has been updated."))
    return RedirectResponse(f"/console/calendar?year={year}", status_code=303)


@router.post("/import")
def overrides_import(request: Request, db: DB, principal: Manager, text: Annotated[str, Form()] = "") -> Response:
    year = dt.datetime.now(workdays.SHANGHAI).year
    try:
        loaded = workdays.import_overrides(db, principal, text)
    except workdays.ImportErrors as exc:
        details = "; ".join(f"{n}: {gettext_(msgid, **params)}" for n, msgid, params in exc.errors)
        return _page(request, db, principal, year, error=f"{_message(exc)} ({details})",
                     form={"text": text}, status=400)
    except BusinessRuleError as exc:
        return _page(request, db, principal, year, error=_message(exc), form={"text": text}, status=400)
    flash(request, gettext_("%(n)s calendar days were loaded.", n=len(loaded)))
    return RedirectResponse(f"/console/calendar?year={loaded[0].date.year if loaded else year}", status_code=303)
