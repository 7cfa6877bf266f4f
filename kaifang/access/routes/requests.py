"""The requester's pages of an out-of-catalog request (A23.1): my requests, the form, a request's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kaifang.access import services
from kaifang.access.queries import my_requests, request_view
from kaifang.access.routes.common import DB, VOCABULARIES, SignedIn
from kaifang.access.schemas import DEFAULT_REGION, RequestInput
from kaifang.accounts import list_regions
from kaifang.catalog import get_entry
from kaifang.security import NotFound, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
RequestForm = Annotated[Submitted[RequestInput], Depends(form_of(RequestInput))]


@router.get("/requests")
def request_list(request: Request, db: DB, principal: SignedIn) -> Response:
    return render(request, "access/requests.html", {**VOCABULARIES, "requests": my_requests(db, principal)})


def _form_page(request: Request, db: Session, principal: Principal, values: dict[str, str],
               problem: Problem | None = None, status: int = 200) -> Response:
    return render(request, "access/request_form.html", {
        "values": values, "problem": problem, "errors": problem.errors if problem else {},
        "regions": list_regions(db, principal)}, status_code=status)


@router.get("/requests/new")
def new_request(request: Request, db: DB, principal: SignedIn) -> Response:
    return _form_page(request, db, principal, {"region_code": DEFAULT_REGION})


@router.post("/requests/new")
def create_request(request: Request, db: DB, principal: SignedIn, form: RequestForm) -> Response:
    return act(request, form, lambda data: services.submit_request(db, principal, data.title, data.description,
                                                                   data.purpose, data.region_code),
               done="Your request has been sent to the big data bureau, which passes it to the agency that holds "
                    "the data.",
               then=lambda req: f"/requests/{req.id}", name="request",
               rerender=lambda problem: _form_page(request, db, principal, form.values, problem, 400))


@router.get("/requests/{req_id}")
def request_page(request: Request, db: DB, principal: SignedIn, req_id: int) -> Response:
    req, history, _actions = request_view(db, principal, req_id)
    entry = None
    if req.entry_id is not None:
        try:
            entry = get_entry(db, principal, req.entry_id).card
        except NotFound:
            entry = None
    return render(request, "access/request_detail.html", {
        **VOCABULARIES, "req": req, "history_rows": history, "entry": entry})
