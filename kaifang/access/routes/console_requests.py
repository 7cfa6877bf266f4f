"""The console of out-of-catalog requests (A23.1): the queue of the bureau (to route) and of the agencies (to
answer), overdue first, and a request's page with the moves open to the person looking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from kaifang.access import services
from kaifang.access.queries import request_queue, request_view
from kaifang.access.routes.common import DB, VOCABULARIES, Reader, provider_names
from kaifang.access.schemas import AnswerInput, ReasonInput, RouteInput
from kaifang.accounts import list_regions
from kaifang.security import Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import render
from kaifang.workdays import due_reader, load_calendar

router = APIRouter(prefix="/console/access/requests", dependencies=[Depends(csrf_protect)], include_in_schema=False)
RouteForm = Annotated[Submitted[RouteInput], Depends(form_of(RouteInput))]
ReasonForm = Annotated[Submitted[ReasonInput], Depends(form_of(ReasonInput))]
AnswerForm = Annotated[Submitted[AnswerInput], Depends(form_of(AnswerInput))]


@router.get("")
def request_list(request: Request, db: DB, principal: Reader) -> Response:
    due = due_reader(load_calendar(db, principal))
    return render(request, "access/console_requests.html", {
        **VOCABULARIES, "requests": [(r, due(r.due_at)) for r in request_queue(db, principal)],
        "providers": provider_names(db, principal),
    })


def _page(request: Request, db: Session, principal: Principal, req_id: int, problem: Problem | None = None,
          status: int = 200) -> Response:
    req, steps, actions = request_view(db, principal, req_id)
    return render(request, "access/console_request.html", {
        **VOCABULARIES, "req": req, "history_rows": steps, "actions": actions, "problem": problem,
        "providers": provider_names(db, principal), "due": due_reader(load_calendar(db, principal))(req.due_at),
        "regions": {r.code: r.name for r in list_regions(db, principal)},
    }, status_code=status)


@router.get("/{req_id}")
def request_detail(request: Request, db: DB, principal: Reader, req_id: int) -> Response:
    return _page(request, db, principal, req_id)


def _act(request: Request, db: Session, principal: Principal, req_id: int, name: str, form: Submitted[Any],
         model: type[BaseModel], call: Callable[[Any], Any], done: str) -> Response:
    """Run one move; a refusal shows the request again with every problem next to the form's inputs (400)."""
    return act(request, form, call, done=done, then=f"/console/access/requests/{req_id}", name=name,
               placed=tuple(model.model_fields), rerender=lambda problem: _page(request, db, principal, req_id,
                                                                                problem, 400))


@router.post("/{req_id}/route")
def request_route(request: Request, db: DB, principal: Reader, req_id: int, form: RouteForm) -> Response:
    """A23.1: the bureau passes the request to the agency holding the data; its 10 working days start."""
    return _act(request, db, principal, req_id, "route", form, RouteInput,
                lambda data: services.route_request(db, principal, req_id, data.org_id or 0, data.note),
                "The request has been passed to the agency.")


@router.post("/{req_id}/decline")
def request_decline(request: Request, db: DB, principal: Reader, req_id: int, form: ReasonForm) -> Response:
    return _act(request, db, principal, req_id, "decline", form, ReasonInput,
                lambda data: services.decline_request(db, principal, req_id, data.reason),
                "The request has been declined; the requester has been told why.")


@router.post("/{req_id}/answer")
def request_answer(request: Request, db: DB, principal: Reader, req_id: int, form: AnswerForm) -> Response:
    """A23.1: the agency's answer, which may name the catalog entry opened (or already open) for it."""
    return _act(request, db, principal, req_id, "answer", form, AnswerInput,
                lambda data: services.answer_request(db, principal, req_id, data.outcome, data.answer, data.entry_id),
                "The answer has been sent to the requester.")
