"""Sanctions (A34.1): the public notices, and the console's list with the forms to impose and lift one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.access import services
from kaifang.access.queries import list_sanctions, public_sanctions
from kaifang.access.routes.common import DB, VOCABULARIES, Me, Sanctioner, provider_names
from kaifang.access.schemas import SANCTION_KINDS, ReasonInput, SanctionInput
from kaifang.security import Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
SanctionForm = Annotated[Submitted[SanctionInput], Depends(form_of(SanctionInput))]
ReasonForm = Annotated[Submitted[ReasonInput], Depends(form_of(ReasonInput))]
CONSOLE = "/console/access/sanctions"


@router.get("/sanctions")
def notices(request: Request, db: DB, principal: Me) -> Response:
    """A34.1: the sanctions the data administration has published."""
    return render(request, "access/sanctions_public.html", {
        "sanctions": public_sanctions(db, principal), "sanction_kinds": SANCTION_KINDS})


def _console_page(request: Request, db: Session, principal: Principal, problem: Problem | None = None,
                  status: int = 200) -> Response:
    return render(request, "access/console_sanctions.html", {
        **VOCABULARIES, "sanctions": list_sanctions(db, principal), "problem": problem,
        "providers": provider_names(db, principal),
        "platform_wide": principal.reaches_everything(Permission.ACCESS_SANCTION),
    }, status_code=status)


@router.get(CONSOLE)
def sanction_list(request: Request, db: DB, principal: Sanctioner) -> Response:
    return _console_page(request, db, principal)


@router.post(CONSOLE)
def sanction_impose(request: Request, db: DB, principal: Sanctioner, form: SanctionForm) -> Response:
    return act(request, form, lambda data: services.sanction_by_email(db, principal, data),
               done="The sanction is in force: the user's access has been restricted at once.", then=CONSOLE,
               name="impose", placed=("email", "kind", "reason", "org_id"),
               rerender=lambda problem: _console_page(request, db, principal, problem, 400))


@router.post(CONSOLE + "/{sanction_id}/lift")
def sanction_lift(request: Request, db: DB, principal: Sanctioner, sanction_id: int, form: ReasonForm) -> Response:
    return act(request, form, lambda data: services.lift_sanction(db, principal, sanction_id, data.reason),
               done="The sanction has been lifted.", then=CONSOLE, name=f"lift-{sanction_id}", placed=("reason",),
               rerender=lambda problem: _console_page(request, db, principal, problem, 400))
