"""Requests for data outside the catalog (A23.1): a user asks, the bureau of the region routes the request to the
agency holding the data (10 working days start) or declines it, and the agency answers, possibly naming the
catalog entry opened for it. Every move goes through ``transition()``; the requester is told each step."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kaifang.access.models import DataRequest
from kaifang.access.policy import load_request, request_org
from kaifang.access.schemas import DEFAULT_REGION, REQUEST_OUTCOMES
from kaifang.access.workflow import DATA_REQUEST, RequestState
from kaifang.accounts import bureau_people, organisation_info, provider_people, region_exists, user_label
from kaifang.audit import record
from kaifang.catalog import entry_access_info
from kaifang.db import utcnow
from kaifang.errors import BusinessRuleError, Message, NotFound, ValidationErrors
from kaifang.notify import notify
from kaifang.security import AUTHENTICATED, OrgRef, Permission, Principal, service
from kaifang.workflow import transition


def console_link(req: DataRequest) -> str:
    return f"/console/access/requests/{req.id}"


def requester_link(req: DataRequest) -> str:
    return f"/requests/{req.id}"


@service(AUTHENTICATED)
def submit_request(session: Session, principal: Principal, title: str, description: str, purpose: str,
                   region_code: str = DEFAULT_REGION) -> DataRequest:
    """A23.1: the request reaches the bureau of ``region_code``, which routes it."""
    assert principal.user_id is not None
    region_code = region_code.strip()[:12]
    errors: dict[str, str | Message] = {}
    if not title.strip():
        errors["title"] = "Say in a few words what data you need."
    if not description.strip():
        errors["description"] = "Describe the data: what it covers, which items, which period."
    if not region_exists(session, region_code):
        errors["region_code"] = "Unknown region."
    if errors:
        raise ValidationErrors(errors)
    req = DataRequest(requester_user_id=principal.user_id,
                      requester_label=user_label(session, principal.user_id) or principal.label,
                      title=" ".join(title.split())[:200], description=description.strip(), purpose=purpose.strip(),
                      region_code=region_code, status=RequestState.SUBMITTED, created_at=utcnow())
    session.add(req)
    session.flush()
    record(session, principal, "access.request_submitted", "access_data_request", req.id,
           after={"title": req.title, "region_code": region_code})
    notify(session, bureau_people(session, region_code), "New request for data outside the catalog: %(title)s",
           console_link(req), title=req.title)
    return req


@service(Permission.ACCESS_ACCEPT)
def route_request(session: Session, principal: Principal, req_id: int, org_id: int, note: str = "") -> DataRequest:
    """A23.1: the bureau passes the request to the agency that holds the data; its 10 working days start."""
    req = load_request(session, principal, req_id)
    org = organisation_info(session, org_id)
    if org is None or org.kind != "provider" or not org.is_active:
        raise BusinessRuleError("Choose the agency that holds the data.", field="org_id")
    transition(session, principal, DATA_REQUEST, req, "route", org=OrgRef(0, req.region_code), note=note,
               org_id=org.id)
    req.routed_org_id = org.id
    notify(session, provider_people(session, org.id), "A request for data outside the catalog needs your answer: "
           "%(title)s", console_link(req), title=req.title)
    notify(session, [req.requester_user_id], "Your request has been passed to %(org)s: %(title)s",
           requester_link(req), title=req.title, org=org.name)
    return req


@service(Permission.ACCESS_ACCEPT)
def decline_request(session: Session, principal: Principal, req_id: int, reason: str) -> DataRequest:
    req = load_request(session, principal, req_id)
    transition(session, principal, DATA_REQUEST, req, "decline", org=OrgRef(0, req.region_code), note=reason)
    req.answer, req.answered_at = reason.strip(), utcnow()
    notify(session, [req.requester_user_id], "Your request has been answered: %(title)s", requester_link(req),
           title=req.title)
    return req


def _entry_exists(session: Session, entry_id: int) -> bool:
    try:
        entry_access_info(session, entry_id)
    except NotFound:
        return False
    return True


@service(Permission.ACCESS_REVIEW)
def answer_request(session: Session, principal: Principal, req_id: int, outcome: str, answer: str,
                   entry_id: int | None = None) -> DataRequest:
    """A23.1: the agency's answer; it may point to a catalog entry opened (or already open) for it."""
    req = load_request(session, principal, req_id)
    errors = {}
    if outcome not in REQUEST_OUTCOMES:
        errors["outcome"] = "Choose the outcome."
    if not answer.strip():
        errors["answer"] = "Write the answer to the requester."
    if entry_id is not None and not _entry_exists(session, entry_id):
        errors["entry_id"] = "Unknown catalog entry."
    org = request_org(session, req)
    if errors:
        if req.status != RequestState.ROUTED:
            transition(session, principal, DATA_REQUEST, req, "answer", org=org)
        raise ValidationErrors(errors)
    transition(session, principal, DATA_REQUEST, req, "answer", org=org, note=answer, outcome=outcome,
               entry_id=entry_id)
    req.outcome, req.answer, req.entry_id, req.answered_at = outcome, answer.strip(), entry_id, utcnow()
    notify(session, [req.requester_user_id], "Your request has been answered: %(title)s", requester_link(req),
           title=req.title)
    return req
