"""The staff's console of conditional access (A20.2, A20.3, A21.1, A23.1, A34.1): the work queue of each role
(overdue first), every application reached with the forms of the moves open to the person looking (the bureau
accepts or does not accept, the provider approves, refuses, signs, revokes), out-of-catalog requests, sanctions
and the operator's use agreement template. Every POST calls one service, which checks the permissions again;
a refusal shows the page again with the reason next to its form (400)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kaifang.access import agreement, services
from kaifang.access.queries import (
    application_view,
    list_applications,
    list_sanctions,
    request_queue,
    request_view,
    user_for_email,
    work_queue,
)
from kaifang.access.schemas import (
    DELIVERY_LABELS,
    KIND_LABELS,
    NOT_ACCEPTED_REASONS,
    REQUEST_OUTCOMES,
    SANCTION_KINDS,
    ApprovalInput,
    ApprovedItem,
)
from kaifang.access.workflow import APPLICATION, DATA_REQUEST, REQUEST_STATE_LABELS, STATE_LABELS
from kaifang.accounts.queries import list_organisations, list_regions
from kaifang.datastore.engine import errors as engine_errors
from kaifang.db import utcnow
from kaifang.errors import ValidationErrors
from kaifang.i18n import gettext_, translate_all
from kaifang.security import BusinessRuleError, Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, require
from kaifang.web.errors import translate_rule_error
from kaifang.web.forms import Posted
from kaifang.web.templating import flash, render
from kaifang.workdays import CalendarNotCovered, due_day, load_calendar

router = APIRouter(prefix="/console/access", dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Reader = Annotated[Principal, Depends(require(Permission.ACCESS_READ))]
Sanctioner = Annotated[Principal, Depends(require(Permission.ACCESS_SANCTION))]
TemplateKeeper = Annotated[Principal, Depends(require(Permission.ACCESS_TEMPLATE))]
Text = Annotated[str, Form()]


VOCABULARIES: dict[str, Any] = {
    "state_labels": STATE_LABELS, "request_state_labels": REQUEST_STATE_LABELS, "kind_labels": KIND_LABELS,
    "delivery_labels": DELIVERY_LABELS, "not_accepted_reasons": NOT_ACCEPTED_REASONS,
    "request_outcomes": REQUEST_OUTCOMES, "sanction_kinds": SANCTION_KINDS,
    "transition_titles": {t.name: t.title for t in APPLICATION.transitions},
    "request_transition_titles": {t.name: t.title for t in DATA_REQUEST.transitions},
    "clauses": agreement.CLAUSES, "placeholders": agreement.PLACEHOLDERS,
}
BAD_DATE = "This is not a valid date: write it as YYYY-MM-DD."
CORRECT_MARKED = "Please correct the marked fields."


# --- refusals shown next to their form -------------------------------------------------------------

@dataclass
class Problem:
    """A refused action: ``form`` names the form, ``errors`` the translated message of each input at fault,
    ``listed`` the messages with no input of their own, ``values`` what was sent (to fill the form again)."""

    form: str
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


def _engine_pattern(msgid: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", msgid)
    seen: set[str] = set()
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        else:
            out.append(f"(?P={part})" if part in seen else f"(?P<{part}>.+?)")
            seen.add(part)
    return re.compile("".join(out) + r"\Z", re.S)


# The services report a bad row condition with the data engine's English text already filled in: read its msgid
# and parameters back from the text, so that the reader sees it in their language with the column named.
_ENGINE_MESSAGES = [(m, _engine_pattern(m)) for name, m in vars(engine_errors).items()
                    if name.isupper() and isinstance(m, str) and "%(" in m]


def field_message(text: str) -> str:
    translated = gettext_(text)
    if translated != text:
        return translated
    for msgid, pattern in _ENGINE_MESSAGES:
        match = pattern.match(text)
        if match:
            return gettext_(msgid, **match.groupdict())
    return translated


def _problem(form: str, exc: BusinessRuleError, values: dict[str, Any], placed: Iterable[str] = (),
             errors: dict[str, str] | None = None) -> Problem:
    placed = set(placed)
    if isinstance(exc, ValidationErrors):
        found = translate_all(exc.errors)
        message = gettext_(exc.message)
    else:
        text = translate_rule_error(exc)
        found = {exc.field: text} if exc.field in placed else {}
        message = gettext_(CORRECT_MARKED) if found else text
    found.update({key: gettext_(msgid) for key, msgid in (errors or {}).items()})
    return Problem(form, message, found, [v for k, v in found.items() if k not in placed], values)


def _page_number(text: str) -> int:
    return min(int(text), 100_000) if text.isdigit() and int(text) > 0 else 1


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


@dataclass(frozen=True)
class Due:
    day: str  # YYYY-MM-DD, Asia/Shanghai
    left: int | None  # working days left; negative when overdue; None when the calendar does not cover it


def _due_of(db: Session, principal: Principal) -> Callable[[dt.datetime | None], Due | None]:
    calendar, now = load_calendar(db, principal), utcnow()

    def due(at: dt.datetime | None) -> Due | None:
        if at is None:
            return None
        try:
            left: int | None = calendar.remaining_workdays(now, at)
        except CalendarNotCovered:
            left = None
        return Due(due_day(at).isoformat(), left)

    return due


def _provider_names(db: Session, principal: Principal) -> dict[int, str]:
    """The provider agencies this person reaches, by id (for names in lists and the routing choice)."""
    return {o.id: o.name for o in list_organisations(db, principal, kind="provider", per_page=200).items}


# --- the work queue and the list of applications ----------------------------------------------------

@router.get("")
def application_list(request: Request, db: DB, principal: Reader, status: str = "", page: str = "1") -> Response:
    """A20.2, A20.3: what waits for this person, overdue first, then every application reached."""
    due = _due_of(db, principal)
    status = status if status in STATE_LABELS else ""
    return render(request, "access/console_list.html", {
        **VOCABULARIES, "queue": [(q, due(q.app.due_at)) for q in work_queue(db, principal)],
        "page": list_applications(db, principal, status=status, page=_page_number(page)), "status": status,
        "providers": _provider_names(db, principal), "number": services.application_number, "due": due,
    })


# --- out-of-catalog requests (A23.1) ----------------------------------------------------------------

@router.get("/requests")
def request_list(request: Request, db: DB, principal: Reader) -> Response:
    due = _due_of(db, principal)
    return render(request, "access/console_requests.html", {
        **VOCABULARIES, "requests": [(r, due(r.due_at)) for r in request_queue(db, principal)],
        "providers": _provider_names(db, principal),
    })


def _request_page(request: Request, db: Session, principal: Principal, req_id: int, problem: Problem | None = None,
                  status: int = 200) -> Response:
    req, steps, actions = request_view(db, principal, req_id)
    return render(request, "access/console_request.html", {
        **VOCABULARIES, "req": req, "history": steps, "actions": actions, "problem": problem,
        "providers": _provider_names(db, principal), "due": _due_of(db, principal)(req.due_at),
        "regions": {r.code: r.name for r in list_regions(db, principal)},
    }, status_code=status)


@router.get("/requests/{req_id}")
def request_detail(request: Request, db: DB, principal: Reader, req_id: int) -> Response:
    return _request_page(request, db, principal, req_id)


def _request_act(request: Request, db: Session, principal: Principal, req_id: int, form: str,
                 call: Callable[[], Any], done: str, values: dict[str, Any], placed: Iterable[str],
                 errors: dict[str, str] | None = None) -> Response:
    try:
        if errors:
            raise ValidationErrors({})
        call()
    except BusinessRuleError as exc:
        return _request_page(request, db, principal, req_id, _problem(form, exc, values, placed, errors), 400)
    flash(request, gettext_(done))
    return RedirectResponse(f"/console/access/requests/{req_id}", status_code=303)


@router.post("/requests/{req_id}/route")
def request_route(request: Request, db: DB, principal: Reader, req_id: int, org_id: Text = "",
                  note: Text = "") -> Response:
    """A23.1: the bureau passes the request to the agency holding the data; its 10 working days start."""
    return _request_act(request, db, principal, req_id, "route",
                        lambda: services.route_request(db, principal, req_id, _number(org_id) or 0, note),
                        "The request has been passed to the agency.", {"org_id": org_id, "note": note},
                        ("org_id", "note"))


@router.post("/requests/{req_id}/decline")
def request_decline(request: Request, db: DB, principal: Reader, req_id: int, reason: Text = "") -> Response:
    return _request_act(request, db, principal, req_id, "decline",
                        lambda: services.decline_request(db, principal, req_id, reason),
                        "The request has been declined; the requester has been told why.", {"reason": reason},
                        ("reason",))


@router.post("/requests/{req_id}/answer")
def request_answer(request: Request, db: DB, principal: Reader, req_id: int, outcome: Text = "", answer: Text = "",
                   entry_id: Text = "") -> Response:
    """A23.1: the agency's answer, which may name the catalog entry opened (or already open) for it."""
    entry = _number(entry_id)
    bad = {"entry_id": "Enter the number of a catalog entry, or leave it empty."} if entry_id.strip() and not entry \
        else None
    return _request_act(request, db, principal, req_id, "answer",
                        lambda: services.answer_request(db, principal, req_id, outcome, answer, entry),
                        "The answer has been sent to the requester.",
                        {"outcome": outcome, "answer": answer, "entry_id": entry_id}, ("outcome", "answer", "entry_id"),
                        bad)


# --- sanctions (A34.1) ------------------------------------------------------------------------------

def _sanctions_page(request: Request, db: Session, principal: Principal, problem: Problem | None = None,
                    status: int = 200) -> Response:
    return render(request, "access/console_sanctions.html", {
        **VOCABULARIES, "sanctions": list_sanctions(db, principal), "problem": problem,
        "providers": _provider_names(db, principal),
        "platform_wide": principal.reaches_everything(Permission.ACCESS_SANCTION),
    }, status_code=status)


@router.get("/sanctions")
def sanction_list(request: Request, db: DB, principal: Sanctioner) -> Response:
    return _sanctions_page(request, db, principal)


@router.post("/sanctions")
def sanction_impose(request: Request, db: DB, principal: Sanctioner, email: Text = "", kind: Text = "",
                    reason: Text = "", org_id: Text = "", public: Text = "") -> Response:
    values = {"email": email, "kind": kind, "reason": reason, "org_id": org_id, "public": public == "on"}
    placed = ("email", "kind", "reason", "org_id")
    user = user_for_email(db, principal, email) if email.strip() else None
    try:
        if user is None:
            raise ValidationErrors({"email": "No account is registered with this e-mail address."})
        services.impose_sanction(db, principal, user.id, kind, reason, _number(org_id), public == "on")
    except BusinessRuleError as exc:
        return _sanctions_page(request, db, principal, _problem("impose", exc, values, placed), 400)
    flash(request, gettext_("The sanction is in force: the user's access has been restricted at once."))
    return RedirectResponse("/console/access/sanctions", status_code=303)


@router.post("/sanctions/{sanction_id}/lift")
def sanction_lift(request: Request, db: DB, principal: Sanctioner, sanction_id: int, reason: Text = "") -> Response:
    try:
        services.lift_sanction(db, principal, sanction_id, reason)
    except BusinessRuleError as exc:
        problem = _problem(f"lift-{sanction_id}", exc, {"reason": reason}, ("reason",))
        return _sanctions_page(request, db, principal, problem, 400)
    flash(request, gettext_("The sanction has been lifted."))
    return RedirectResponse("/console/access/sanctions", status_code=303)


# --- the use agreement template (A21.1) ---------------------------------------------------------------

def _template_page(request: Request, db: Session, title: str, clauses: dict[str, str], problem: Problem | None = None,
                   status: int = 200) -> Response:
    version = services.current_template(db)[0]
    return render(request, "access/console_template.html", {
        **VOCABULARIES, "version": version, "title": title, "texts": clauses, "problem": problem,
    }, status_code=status)


@router.get("/template")
def template_edit(request: Request, db: DB, principal: TemplateKeeper) -> Response:
    _, title, clauses = services.current_template(db)
    return _template_page(request, db, title, clauses)


@router.post("/template")
def template_save(request: Request, db: DB, principal: TemplateKeeper, posted: Posted) -> Response:
    title = str(posted.get("title") or "")
    clauses = {key: str(posted.get(f"clause_{key}") or "") for key in agreement.CLAUSES}
    try:
        services.save_template(db, principal, title, clauses)
    except BusinessRuleError as exc:
        problem = _problem("template", exc, {}, ("title", *agreement.CLAUSES))
        return _template_page(request, db, title, clauses, problem, 400)
    flash(request, gettext_("A new version of the template has been saved: agreements made from now on use it."))
    return RedirectResponse("/console/access/template", status_code=303)


# --- one application and the moves open to the person looking ---------------------------------------

def _approve_values(view: Any, problem: Problem | None) -> dict[str, Any]:
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
        "due": _due_of(db, principal)(view.app.due_at), "approve": _approve_values(view, problem),
        "entry_names": {i.entry_id: i.entry_name for i in view.items},
        "grant_columns": {g.id: json.loads(g.columns) for g in view.grants},
    }, status_code=status)


@router.get("/{app_id}")
def application_detail(request: Request, db: DB, principal: Reader, app_id: int) -> Response:
    return _detail(request, db, principal, app_id)


def _act(request: Request, db: Session, principal: Principal, app_id: int, form: str, call: Callable[[], Any],
         done: str, values: dict[str, Any] | None = None, placed: Iterable[str] = (),
         errors: dict[str, str] | None = None) -> Response:
    """Run one service; on a refusal show the application again with the reason next to the form."""
    try:
        call()
    except BusinessRuleError as exc:
        return _detail(request, db, principal, app_id, _problem(form, exc, values or {}, placed, errors), 400)
    flash(request, gettext_(done))
    return RedirectResponse(f"/console/access/{app_id}", status_code=303)


@router.post("/{app_id}/accept")
def application_accept(request: Request, db: DB, principal: Reader, app_id: int, note: Text = "") -> Response:
    """A20.2: the materials are complete; the provider's 10 working days (A20.3) start now."""
    return _act(request, db, principal, app_id, "accept",
                lambda: services.accept_application(db, principal, app_id, note),
                "The application has been accepted and passed to the provider.", {"note": note}, ("note",))


@router.post("/{app_id}/not-accept")
def application_not_accept(request: Request, db: DB, principal: Reader, app_id: int, posted: Posted) -> Response:
    """A20.2: not accepted, with every reason at once (一次性告知)."""
    reasons = [str(r) for r in posted.getlist("reasons")]
    note = str(posted.get("note") or "")
    return _act(request, db, principal, app_id, "not_accept",
                lambda: services.not_accept_application(db, principal, app_id, reasons, note),
                "The applicant has been told every reason at once and may correct the application.",
                {"reasons": reasons, "note": note}, ("reasons", "note"))


def _date(text: str) -> tuple[dt.date | None, bool]:
    text = text.strip()
    if not text:
        return None, True
    try:
        return dt.date.fromisoformat(text), True
    except ValueError:
        return None, False


@router.post("/{app_id}/approve")
def application_approve(request: Request, db: DB, principal: Reader, app_id: int, posted: Posted) -> Response:
    """A20.3: the approved purpose, scope (data items and rows of each dataset, delivery paths) and period."""
    ids = sorted({n for key in posted for prefix in ("fields_", "row_filter_") if key.startswith(prefix)
                  for n in [_number(key[len(prefix):])] if n is not None})
    fields = {i: [str(f) for f in posted.getlist(f"fields_{i}")] for i in ids}
    row_filter = {i: str(posted.get(f"row_filter_{i}") or "") for i in ids}
    texts = {key: str(posted.get(key) or "") for key in ("purpose", "period_start", "period_end")}
    (start, start_ok), (end, end_ok) = _date(texts["period_start"]), _date(texts["period_end"])
    deliveries = [str(d) for d in posted.getlist("deliveries")]
    data = ApprovalInput(purpose=texts["purpose"], deliveries=deliveries, period_start=start, period_end=end,
                         items=[ApprovedItem(i, fields[i], row_filter[i]) for i in ids])
    placed = {"purpose", "deliveries", "period_start", "period_end"} | {
        f"items.{i}.{part}" for i in ids for part in ("fields", "row_filter")}
    bad = {key: BAD_DATE for key, ok in (("period_start", start_ok), ("period_end", end_ok)) if not ok}
    return _act(request, db, principal, app_id, "approve",
                lambda: services.approve_application(db, principal, app_id, data),
                "The application has been approved: the use agreement is ready for both signatures.",
                {**texts, "deliveries": deliveries, "fields": fields, "row_filter": row_filter}, placed, bad)


@router.post("/{app_id}/refuse")
def application_refuse(request: Request, db: DB, principal: Reader, app_id: int, reasons: Text = "",
                       legal_basis: Text = "") -> Response:
    """A20.3: a refusal states its reasons and its legal basis."""
    return _act(request, db, principal, app_id, "refuse",
                lambda: services.refuse_application(db, principal, app_id, reasons, legal_basis),
                "The application has been refused; the applicant has been told the reasons.",
                {"reasons": reasons, "legal_basis": legal_basis}, ("reasons", "legal_basis"))


@router.post("/{app_id}/sign")
def application_sign(request: Request, db: DB, principal: Reader, app_id: int, sha256: Text = "") -> Response:
    """A21.1: the provider signs the exact text shown (its SHA-256)."""
    return _act(request, db, principal, app_id, "sign",
                lambda: services.sign_agreement(db, principal, app_id, "provider", sha256),
                "You have signed the use agreement for the provider.")


@router.post("/{app_id}/revoke")
def application_revoke(request: Request, db: DB, principal: Reader, app_id: int, reason: Text = "") -> Response:
    return _act(request, db, principal, app_id, "revoke",
                lambda: services.revoke_application(db, principal, app_id, reason),
                "The use agreement has been revoked: its access has stopped.", {"reason": reason}, ("reason",))
