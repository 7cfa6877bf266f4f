"""The staff's console of applications (A20.2, A20.3, A21.1): the work queue of each role (overdue first), every
application reached, and an application's page with the forms of the moves open to the person looking (the
bureau accepts or does not accept; the provider approves, refuses, signs, revokes). Every POST runs one service
through ``act()``, which checks the permissions again; a refusal shows the page again with every problem next to
its form (400)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from kaifang.access import services
from kaifang.access.queries import ApplicationView, application_view, list_applications, work_queue
from kaifang.access.routes.common import DB, VOCABULARIES, Reader, provider_names
from kaifang.access.schemas import (
    ApprovalForm,
    ApprovedItem,
    NotAcceptInput,
    NoteInput,
    ReasonInput,
    RefuseInput,
    SignInput,
)
from kaifang.access.workflow import STATE_LABELS
from kaifang.security import Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import PageNumber
from kaifang.web.forms import Problem, Submitted, act, form_of, pydantic_problems
from kaifang.web.templating import render
from kaifang.workdays import due_reader, load_calendar

router = APIRouter(prefix="/console/access", dependencies=[Depends(csrf_protect)], include_in_schema=False)
NoteForm = Annotated[Submitted[NoteInput], Depends(form_of(NoteInput))]
NotAcceptForm = Annotated[Submitted[NotAcceptInput], Depends(form_of(NotAcceptInput))]
RefuseForm = Annotated[Submitted[RefuseInput], Depends(form_of(RefuseInput))]
SignForm = Annotated[Submitted[SignInput], Depends(form_of(SignInput))]
ReasonForm = Annotated[Submitted[ReasonInput], Depends(form_of(ReasonInput))]


@router.get("")
def application_list(request: Request, db: DB, principal: Reader, page: PageNumber, status: str = "") -> Response:
    """A20.2, A20.3: what waits for this person, overdue first, then every application reached."""
    due = due_reader(load_calendar(db, principal))
    status = status if status in STATE_LABELS else ""
    return render(request, "access/console_list.html", {
        **VOCABULARIES, "queue": [(q, due(q.app.due_at)) for q in work_queue(db, principal)],
        "page": list_applications(db, principal, status=status, page=page), "status": status,
        "providers": provider_names(db, principal), "due": due,
    })


# --- one application and the moves open to the person looking ---------------------------------------

def _approve_values(view: ApplicationView, problem: Problem | None) -> dict[str, Any]:
    """The approval form: what was sent after a refusal, else the application's own scope and period."""
    if problem is not None and problem.form == "approve":
        return problem.values
    app = view.app
    return {
        "purpose": "", "deliveries": list(view.deliveries),
        "period_start": app.period_start.isoformat() if app.period_start else "",
        "period_end": app.period_end.isoformat() if app.period_end else "",
        "fields": {i.entry_id: list(i.fields) for i in view.items}, "row_filter": {i.entry_id: "" for i in view.items},
    }


def _detail(request: Request, db: Session, principal: Principal, app_id: int, problem: Problem | None = None,
            status: int = 200) -> Response:
    view = application_view(db, principal, app_id)
    return render(request, "access/console_application.html", {
        **VOCABULARIES, "view": view, "app": view.app, "actions": view.actions, "problem": problem,
        "due": due_reader(load_calendar(db, principal))(view.app.due_at), "approve": _approve_values(view, problem),
        "entry_names": {i.entry_id: i.entry_name for i in view.items},
        "grant_columns": {g.id: json.loads(g.columns) for g in view.grants},
    }, status_code=status)


@router.get("/{app_id}")
def application_detail(request: Request, db: DB, principal: Reader, app_id: int) -> Response:
    return _detail(request, db, principal, app_id)


def _act(request: Request, db: Session, principal: Principal, app_id: int, name: str, form: Submitted[Any],
         placed: tuple[str, ...] | type[BaseModel], call: Callable[[Any], Any], done: str) -> Response:
    """Run one move; a refusal shows the application again with every problem next to its form (400)."""
    inputs = tuple(placed.model_fields) if isinstance(placed, type) else placed
    return act(request, form, call, done=done, then=f"/console/access/{app_id}", name=name, placed=inputs,
               rerender=lambda problem: _detail(request, db, principal, app_id, problem, 400))


@router.post("/{app_id}/accept")
def application_accept(request: Request, db: DB, principal: Reader, app_id: int, form: NoteForm) -> Response:
    """A20.2: the materials are complete; the provider's 10 working days (A20.3) start now."""
    return _act(request, db, principal, app_id, "accept", form, NoteInput,
                lambda data: services.accept_application(db, principal, app_id, data.note),
                "The application has been accepted and passed to the provider.")


@router.post("/{app_id}/not-accept")
def application_not_accept(request: Request, db: DB, principal: Reader, app_id: int,
                           form: NotAcceptForm) -> Response:
    """A20.2: not accepted, with every reason at once (一次性告知)."""
    return _act(request, db, principal, app_id, "not_accept", form, NotAcceptInput,
                lambda data: services.not_accept_application(db, principal, app_id, data.reasons, data.note),
                "The applicant has been told every reason at once and may correct the application.")


async def posted_approval(request: Request) -> Submitted[ApprovalForm]:
    """The posted A20.3 form: for each dataset, the data items approved (``fields_<id>``, repeated) and the rows
    (``row_filter_<id>``); the values come back in the shape the form shows them."""
    posted = await request.form()

    def texts(name: str) -> list[str]:
        return [v for v in posted.getlist(name) if isinstance(v, str)]

    ids = sorted({int(n) for key in posted for prefix in ("fields_", "row_filter_") if key.startswith(prefix)
                  for n in [key[len(prefix):]] if n.isdigit() and len(n) < 10})
    values: dict[str, Any] = {key: (texts(key) or [""])[-1] for key in ("purpose", "period_start", "period_end")}
    values["deliveries"] = texts("deliveries")
    values["fields"] = {i: texts(f"fields_{i}") for i in ids}
    values["row_filter"] = {i: (texts(f"row_filter_{i}") or [""])[-1] for i in ids}
    items = [ApprovedItem(i, values["fields"][i], values["row_filter"][i]) for i in ids]
    try:
        return Submitted(values, ApprovalForm.model_validate({**values, "items": items}))
    except ValidationError as exc:
        return Submitted(values, None, pydantic_problems(exc))


@router.post("/{app_id}/approve")
def application_approve(request: Request, db: DB, principal: Reader, app_id: int,
                        form: Annotated[Submitted[ApprovalForm], Depends(posted_approval)]) -> Response:
    """A20.3: the approved purpose, scope (data items and rows of each dataset, delivery paths) and period."""
    placed = ("purpose", "deliveries", "period_start", "period_end", *(
        f"items.{i}.{part}" for i in form.values["fields"] for part in ("fields", "row_filter")))
    return _act(request, db, principal, app_id, "approve", form, placed,
                lambda data: services.approve_application(db, principal, app_id, data.to_input()),
                "The application has been approved: the use agreement is ready for both signatures.")


@router.post("/{app_id}/refuse")
def application_refuse(request: Request, db: DB, principal: Reader, app_id: int, form: RefuseForm) -> Response:
    """A20.3: a refusal states its reasons and its legal basis."""
    return _act(request, db, principal, app_id, "refuse", form, RefuseInput,
                lambda data: services.refuse_application(db, principal, app_id, data.reasons, data.legal_basis),
                "The application has been refused; the applicant has been told the reasons.")


@router.post("/{app_id}/sign")
def application_sign(request: Request, db: DB, principal: Reader, app_id: int, form: SignForm) -> Response:
    """A21.1: the provider signs the exact text shown (its SHA-256)."""
    return _act(request, db, principal, app_id, "sign", form, (),
                lambda data: services.sign_agreement(db, principal, app_id, "provider", data.sha256),
                "You have signed the use agreement for the provider.")


@router.post("/{app_id}/revoke")
def application_revoke(request: Request, db: DB, principal: Reader, app_id: int, form: ReasonForm) -> Response:
    return _act(request, db, principal, app_id, "revoke", form, ReasonInput,
                lambda data: services.revoke_application(db, principal, app_id, data.reason),
                "The use agreement has been revoked: its access has stopped.")
