"""The applicants' pages of conditional access (A20-A24, A34.1): my applications and grants, the A20.1 form, an
application's page (acceptance rounds, attachments, the use agreement and its signatures, grants, results of use),
out-of-catalog requests (A23.1), notifications and the public sanction notices.

Every route parses its input, calls one service or query of ``kaifang.access`` and renders or redirects; the
services check who may do what (NotFound for someone else's application, 404 like a missing one).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kaifang.access import queries, services
from kaifang.access.models import AccessApplication
from kaifang.access.schemas import (
    DELIVERY_LABELS,
    KIND_LABELS,
    NOT_ACCEPTED_REASONS,
    REQUEST_OUTCOMES,
    RESULT_KINDS,
    SANCTION_KINDS,
    ApplicationInput,
    ItemInput,
)
from kaifang.access.workflow import APPLICATION, DATA_REQUEST, REQUEST_STATE_LABELS, STATE_LABELS
from kaifang.accounts import apikeys
from kaifang.accounts.queries import list_regions
from kaifang.catalog import get_entry, search_entries
from kaifang.catalog.vocabulary import SENSITIVITY_LABELS
from kaifang.errors import ValidationErrors
from kaifang.i18n import gettext_
from kaifang.security import BusinessRuleError, NotFound, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, get_principal, require_login
from kaifang.web.forms import Posted, safe_next, translate_errors
from kaifang.web.templating import SHANGHAI, flash, local_time, render, templates

log = logging.getLogger("kaifang.access")

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(get_principal)]
SignedIn = Annotated[Principal, Depends(require_login)]
Text = Annotated[str, Form()]

EDITABLE = ("draft", "not_accepted")
MAX_OTHER_DATASETS = 10
BAD_DATE = "Enter the date as YYYY-MM-DD."
ROUND_OUTCOMES = {"accepted": "Accepted for review", "not_accepted": STATE_LABELS["not_accepted"],
                  "withdrawn": "Withdrawn by the applicant", "": "Waiting for the bureau"}
GRANT_STATES = {"active": "In effect", "suspended": "Suspended", "revoked": "Revoked", "expired": "Expired"}
SIDES = {"applicant": "Data user (applicant)", "provider": "Data provider"}


def last_day(ends_at: dt.datetime) -> str:
    """A grant ends at 24:00 of the period's last day (Beijing time): show that day."""
    return (ends_at - dt.timedelta(seconds=1)).astimezone(SHANGHAI).strftime("%Y-%m-%d")


VOCABULARIES: dict[str, Any] = {
    "state_labels": STATE_LABELS, "request_state_labels": REQUEST_STATE_LABELS, "kind_labels": KIND_LABELS,
    "delivery_labels": DELIVERY_LABELS, "reason_labels": NOT_ACCEPTED_REASONS, "result_kinds": RESULT_KINDS,
    "request_outcomes": REQUEST_OUTCOMES, "sanction_kinds": SANCTION_KINDS, "round_outcomes": ROUND_OUTCOMES,
    "grant_states": GRANT_STATES, "sides": SIDES, "sensitivity_labels": SENSITIVITY_LABELS,
    "transition_titles": {t.name: t.title for t in APPLICATION.transitions},
    "request_transition_titles": {t.name: t.title for t in DATA_REQUEST.transitions},
    "number": services.application_number, "last_day": last_day,
}


def unread_notifications(request: Request) -> int:
    """The header's count of unread messages (a Jinja global; 0 for visitors, or when it cannot be read)."""
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.user_id is None:
        return 0
    try:
        with request.app.state.sessions() as session:
            return queries.unread_count(session, principal)
    except Exception:  # the header must never break a page, error pages included
        log.exception("could not count unread notifications")
        return 0


templates.env.globals["unread_notifications"] = unread_notifications


def rule_message(exc: BusinessRuleError) -> str:
    """A refusal in the reader's language; its parameters that are msgids (states, missing elements) too."""
    def one(value: object) -> object:
        return gettext_(value) if isinstance(value, str) and value else value

    params = {k: "、".join(str(one(v)) for v in value) if isinstance(value, list | tuple) else one(value)
              for k, value in exc.params.items()}
    return gettext_(exc.message, **params)


def _page_number(text: str) -> int:
    return min(int(text), 100_000) if text.isdigit() and int(text) > 0 else 1


# --- my applications and grants ------------------------------------------------------------------

@router.get("/access")
def my_applications(request: Request, db: DB, principal: SignedIn, page: str = "1") -> Response:
    return render(request, "access/my_list.html", {
        **VOCABULARIES, "page": queries.my_applications(db, principal, _page_number(page)),
        "grants": [(g, e, json.loads(g.deliveries)) for g, e in queries.my_grants(db, principal)],
        "sanctions": queries.my_sanctions(db, principal),
    })


# --- the A20.1 form --------------------------------------------------------------------------------

@dataclass
class DatasetChoice:
    """One dataset on the form: its data items, those asked for, and what is wrong with it."""

    entry_id: int
    name: str
    slug: str = ""
    fields: list[Any] = field(default_factory=list)  # FieldSpec: name, title, sensitivity
    chosen: list[str] = field(default_factory=list)
    problem: str = ""  # msgid


@dataclass(frozen=True)
class _Item:
    """A data item known only from the application (its dataset left the published catalog)."""

    name: str
    title: str
    sensitivity: str


def _choice(db: Session, principal: Principal, entry_id: int, chosen: list[str],
            fallback: queries.ItemView | None = None) -> DatasetChoice:
    try:
        entry = get_entry(db, principal, entry_id)
    except NotFound:
        if fallback is None:
            return DatasetChoice(entry_id, f"#{entry_id}", chosen=chosen,
                                 problem="This dataset is not in the published catalog.")
        fields = [_Item(n, fallback.titles.get(n, ""), "") for n in fallback.all_fields]
        return DatasetChoice(entry_id, fallback.entry_name, fallback.slug, fields, chosen,
                             "This dataset is not in the published catalog.")
    card = entry.card
    problem = ""
    if card.status != "published":
        problem = "This dataset is not in the published catalog."
    elif card.open_class != "conditional":
        problem = ("Only conditionally open datasets need an application; "
                   "unconditionally open data can be used directly.")
    return DatasetChoice(card.id, card.name, card.slug, list(entry.schema.fields), chosen, problem)


def _provider_of(db: Session, principal: Principal, entry_ids: list[int]) -> int | None:
    for entry_id in entry_ids:
        try:
            return get_entry(db, principal, entry_id).card.provider_id
        except NotFound:
            continue
    return None


def _other_datasets(db: Session, principal: Principal, provider_id: int | None,
                    exclude: set[int]) -> list[DatasetChoice]:
    """A20.1: one application may cover several conditionally open datasets of the same provider."""
    if provider_id is None:
        return []
    found = search_entries(db, principal, None, provider=provider_id, open_class="conditional", sort="updated",
                           per_page=MAX_OTHER_DATASETS + len(exclude))
    cards = [c for c in found.items if c.id not in exclude][:MAX_OTHER_DATASETS]
    return [_choice(db, principal, c.id, []) for c in cards]


def _form_page(request: Request, db: Session, principal: Principal, app: AccessApplication | None,
               values: dict[str, Any], items: list[ItemInput], errors: dict[str, str] | None = None,
               problem: str | None = None, fallbacks: dict[int, queries.ItemView] | None = None,
               status: int = 200) -> Response:
    datasets = [_choice(db, principal, i.entry_id, i.fields, (fallbacks or {}).get(i.entry_id)) for i in items]
    provider_id = app.provider_org_id if app else _provider_of(db, principal, [i.entry_id for i in items])
    others = _other_datasets(db, principal, provider_id, {i.entry_id for i in items})
    return render(request, "access/form.html", {
        **VOCABULARIES, "app": app, "values": values, "datasets": datasets, "others": others,
        "errors": errors or {}, "problem": problem,
    }, status_code=status)


def _date(text: str, name: str, errors: dict[str, str]) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = BAD_DATE
        return None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _strings(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def read_application_form(form: FormData) -> tuple[dict[str, Any], ApplicationInput, dict[str, str]]:
    """The posted A20.1 form: the values to show again, the service's input, and the dates that do not parse."""
    errors: dict[str, str] = {}
    entry_ids: list[int] = []
    for raw in _strings(form, "entry_id"):
        if raw.strip().isdigit() and int(raw) not in entry_ids:
            entry_ids.append(int(raw))
    values: dict[str, Any] = {k: _text(form, k) for k in ("title", "reason", "kind", "period_start", "period_end",
                                                          "results_form", "scenario")}
    values["deliveries"] = _strings(form, "deliveries")
    values["commitment"] = _text(form, "commitment") == "on"
    data = ApplicationInput(
        title=values["title"], reason=values["reason"], kind=values["kind"] or "dataset",
        deliveries=values["deliveries"], period_start=_date(values["period_start"], "period_start", errors),
        period_end=_date(values["period_end"], "period_end", errors), results_form=values["results_form"],
        scenario=values["scenario"], commitment=values["commitment"],
        items=[ItemInput(e, _strings(form, f"fields_{e}")) for e in entry_ids],
    )
    return values, data, errors


def field_errors(errors: dict[str, str], data: ApplicationInput) -> dict[str, str]:
    """The service names datasets by position (``items.0.fields``); the form by entry (``fields_12``)."""
    out: dict[str, str] = {}
    for key, msgid in errors.items():
        parts = key.split(".")
        if parts[0] == "items" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(data.items):
            entry_id = data.items[int(parts[1])].entry_id
            out[f"fields_{entry_id}" if parts[2] == "fields" else f"entry_{entry_id}"] = msgid
        else:
            out[key] = msgid
    return out


def _save(request: Request, db: Session, principal: Principal, app: AccessApplication | None,
          form: FormData, fallbacks: dict[int, queries.ItemView] | None = None) -> Response:
    values, data, errors = read_application_form(form)
    if not errors:
        try:
            saved = services.save_application(db, principal, app.id if app else None, data)
        except ValidationErrors as exc:
            errors = field_errors(exc.errors, data)
        except BusinessRuleError as exc:
            return _form_page(request, db, principal, app, values, data.items, problem=rule_message(exc),
                              fallbacks=fallbacks, status=400)
        else:
            flash(request, gettext_("The application has been saved. Check the missing elements, add supporting "
                                    "documents and submit it."))
            return RedirectResponse(f"/access/{saved.id}", status_code=303)
    return _form_page(request, db, principal, app, values, data.items, translate_errors(errors),
                      fallbacks=fallbacks, status=400)


@router.get("/access/new")
def new_application(request: Request, db: DB, principal: SignedIn) -> Response:
    ids = list(dict.fromkeys(int(e) for e in request.query_params.getlist("entry") if e.isdigit()))
    values = {"kind": "dataset", "deliveries": [], "commitment": False}
    return _form_page(request, db, principal, None, values, [ItemInput(e, []) for e in ids[:services.MAX_ITEMS]])


@router.post("/access/new")
def create_application(request: Request, db: DB, principal: SignedIn, form: Posted) -> Response:
    return _save(request, db, principal, None, form)


def _own(db: Session, principal: Principal, app_id: int) -> queries.ApplicationView:
    view = queries.application_view(db, principal, app_id)
    if not view.is_applicant:
        raise NotFound()
    return view


@router.get("/access/{app_id}/edit")
def edit_application(request: Request, db: DB, principal: SignedIn, app_id: int) -> Response:
    view = _own(db, principal, app_id)
    app = view.app
    if app.status not in EDITABLE:
        flash(request, gettext_("A submitted application cannot be changed."), "error")
        return RedirectResponse(f"/access/{app.id}", status_code=303)
    values = {"title": app.title, "reason": app.reason, "kind": app.kind, "deliveries": view.deliveries,
              "period_start": app.period_start.isoformat() if app.period_start else "",
              "period_end": app.period_end.isoformat() if app.period_end else "",
              "results_form": app.results_form, "scenario": app.scenario, "commitment": app.commitment}
    items = [ItemInput(i.entry_id, i.fields) for i in view.items]
    return _form_page(request, db, principal, app, values, items, fallbacks={i.entry_id: i for i in view.items})


@router.post("/access/{app_id}/edit")
def update_application(request: Request, db: DB, principal: SignedIn, app_id: int, form: Posted) -> Response:
    view = _own(db, principal, app_id)
    return _save(request, db, principal, view.app, form, {i.entry_id: i for i in view.items})


# --- an application's page -------------------------------------------------------------------------

def _detail(request: Request, db: Session, principal: Principal, app_id: int, *, problem: str | None = None,
            errors: dict[str, str] | None = None, result: dict[str, str] | None = None,
            status: int = 200) -> Response:
    view = queries.application_view(db, principal, app_id)
    keys = [k for k in apikeys.my_api_keys(db, principal) if k.revoked_at is None] if view.is_applicant else []
    return render(request, "access/detail.html", {
        **VOCABULARIES, "view": view, "app": view.app, "keys": keys, "problem": problem, "errors": errors or {},
        "result": result or {}, "editable": view.is_applicant and view.app.status in EDITABLE,
        "entry_names": {i.entry_id: i.entry_name for i in view.items},
    }, status_code=status)


@router.get("/access/{app_id}")
def application_page(request: Request, db: DB, principal: SignedIn, app_id: int) -> Response:
    return _detail(request, db, principal, app_id)


@router.post("/access/{app_id}/submit")
def submit(request: Request, db: DB, principal: SignedIn, app_id: int) -> Response:
    """A20.1, A20.2: every element present; each submission opens an acceptance round."""
    try:
        services.submit_application(db, principal, app_id)
    except BusinessRuleError as exc:
        return _detail(request, db, principal, app_id, problem=rule_message(exc), status=400)
    flash(request, gettext_("The application has been submitted: the big data bureau checks the materials "
                            "and accepts it or tells you at once everything that is missing."))
    return RedirectResponse(f"/access/{app_id}", status_code=303)


@router.post("/access/{app_id}/withdraw")
def withdraw(request: Request, db: DB, principal: SignedIn, app_id: int, note: Text = "") -> Response:
    try:
        services.withdraw_application(db, principal, app_id, note)
    except BusinessRuleError as exc:
        return _detail(request, db, principal, app_id, problem=rule_message(exc), status=400)
    flash(request, gettext_("The application has been withdrawn."))
    return RedirectResponse(f"/access/{app_id}", status_code=303)


@router.post("/access/{app_id}/sign")
def sign(request: Request, db: DB, principal: SignedIn, app_id: int, sha256: Text = "",
         side: Text = "applicant") -> Response:
    """A21.1: the applicant signs the SHA-256 of the exact text shown on the page."""
    try:
        services.sign_agreement(db, principal, app_id, side, sha256)
    except BusinessRuleError as exc:
        return _detail(request, db, principal, app_id, problem=rule_message(exc), status=400)
    flash(request, gettext_("You have signed the use agreement."))
    return RedirectResponse(f"/access/{app_id}", status_code=303)


@router.post("/access/{app_id}/results")
def report_result(request: Request, db: DB, principal: SignedIn, app_id: int, kind: Text = "", title: Text = "",
                  url: Text = "", description: Text = "") -> Response:
    """A24.2: a result of use (app, paper, report...) of data received under the agreement."""
    values = {"kind": kind, "title": title, "url": url, "description": description}
    try:
        services.report_result(db, principal, app_id, kind, title, url, description)
    except ValidationErrors as exc:
        return _detail(request, db, principal, app_id, errors=translate_errors(exc.errors), result=values,
                       status=400)
    except BusinessRuleError as exc:
        return _detail(request, db, principal, app_id, problem=rule_message(exc), result=values,
                       status=400)
    flash(request, gettext_("Thank you: the result has been recorded and is shown with the dataset."))
    return RedirectResponse(f"/access/{app_id}#results", status_code=303)


@router.post("/access/{app_id}/attachments")
def add_attachment(request: Request, db: DB, principal: SignedIn, app_id: int,
                   attachment: Annotated[UploadFile | None, File()] = None) -> Response:
    """A20.1: a supporting document, read up to one byte over the limit so that the service can refuse it."""
    if attachment is None or not attachment.filename:
        return _detail(request, db, principal, app_id, errors={"attachment": gettext_("Please choose a file to "
                                                                                      "upload.")}, status=400)
    content = attachment.file.read(services.MAX_ATTACHMENT_BYTES + 1)
    try:
        row = services.add_attachment(db, principal, app_id, attachment.filename, content)
    except BusinessRuleError as exc:
        return _detail(request, db, principal, app_id, errors={exc.field or "attachment": rule_message(exc)},
                       status=400)
    flash(request, gettext_("%(name)s has been attached.", name=row.filename))
    return RedirectResponse(f"/access/{app_id}#attachments", status_code=303)


@router.post("/access/{app_id}/attachments/{attachment_id}/delete")
def remove_attachment(request: Request, db: DB, principal: SignedIn, app_id: int, attachment_id: int) -> Response:
    try:
        services.remove_attachment(db, principal, app_id, attachment_id)
    except BusinessRuleError as exc:
        return _detail(request, db, principal, app_id, problem=rule_message(exc), status=400)
    flash(request, gettext_("The attachment has been removed."))
    return RedirectResponse(f"/access/{app_id}#attachments", status_code=303)


@router.get("/access/{app_id}/attachments/{attachment_id}")
def download_attachment(request: Request, db: DB, principal: SignedIn, app_id: int, attachment_id: int) -> Response:
    row = queries.attachment_for(db, principal, app_id, attachment_id)
    root = Path(request.app.state.settings.files_dir).resolve()
    path = (root / row.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound()
    return FileResponse(path, media_type=row.content_type, filename=row.filename,
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


def agreement_document(view: queries.ApplicationView) -> str:
    """A21.1: the agreement's exact text, then its SHA-256 and each signature (times in Beijing time)."""
    agreement = view.agreement
    assert agreement is not None
    lines = [agreement.text.rstrip("\n"), "", "-" * 40,
             gettext_("Application number: %(number)s", number=view.number),
             f"SHA-256: {agreement.sha256}", "", gettext_("Signatures")]
    for side in ("applicant", "provider"):
        sig = view.signatures.get(side)
        if sig is None:
            lines.append(gettext_("%(side)s: not signed yet", side=gettext_(SIDES[side])))
            continue
        who = f"{sig.label}（{sig.org_name}）" if sig.org_name else sig.label
        lines.append(gettext_("%(side)s: %(who)s, signed at %(time)s (Beijing time), SHA-256 %(hash)s",
                              side=gettext_(SIDES[side]), who=who,
                              time=sig.signed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), hash=sig.sha256))
    if agreement.in_force_at:
        lines.append(gettext_("In force since %(time)s (Beijing time)", time=local_time(agreement.in_force_at)))
    return "\n".join(lines) + "\n"


@router.get("/access/{app_id}/agreement.txt")
def agreement_text(request: Request, db: DB, principal: SignedIn, app_id: int) -> Response:
    view = queries.application_view(db, principal, app_id)
    if view.agreement is None:
        raise NotFound()
    filename = f"agreement-{view.number}.txt"
    return Response(agreement_document(view).encode("utf-8"), media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Content-Type-Options": "nosniff"})


@router.post("/access/grants/{grant_id}/key")
def bind_key(request: Request, db: DB, principal: SignedIn, grant_id: int, key_id: Text = "") -> Response:
    """A20.4: a key bound to a grant reads that grant's dataset only; no key unbinds the keys bound to it."""
    grant = next((g for g, _ in queries.my_grants(db, principal) if g.id == grant_id), None)
    if grant is None:
        raise NotFound()
    if key_id.strip().isdigit():
        services.bind_key_to_grant(db, principal, int(key_id), grant.id)
        flash(request, gettext_("The API key now reads this grant's data only."))
    else:
        for key in apikeys.my_api_keys(db, principal):
            if key.grant_id == grant.id and key.revoked_at is None:
                services.bind_key_to_grant(db, principal, key.id, None)
        flash(request, gettext_("No API key is bound to this grant any more."))
    return RedirectResponse(f"/access/{grant.application_id}#grants", status_code=303)


# --- out-of-catalog requests (A23.1) -----------------------------------------------------------------

@router.get("/requests")
def my_requests(request: Request, db: DB, principal: SignedIn) -> Response:
    return render(request, "access/requests.html", {**VOCABULARIES, "requests": queries.my_requests(db, principal)})


def _request_form(request: Request, db: Session, principal: Principal, values: dict[str, str],
                  errors: dict[str, str] | None = None, status: int = 200) -> Response:
    return render(request, "access/request_form.html", {
        "values": values, "errors": errors or {}, "regions": list_regions(db, principal)}, status_code=status)


@router.get("/requests/new")
def new_request(request: Request, db: DB, principal: SignedIn) -> Response:
    return _request_form(request, db, principal, {"region_code": "320500"})


@router.post("/requests/new")
def create_request(request: Request, db: DB, principal: SignedIn, title: Text = "", description: Text = "",
                   purpose: Text = "", region_code: Text = "320500") -> Response:
    values = {"title": title, "description": description, "purpose": purpose, "region_code": region_code}
    try:
        req = services.submit_request(db, principal, title, description, purpose, region_code.strip()[:12])
    except ValidationErrors as exc:
        return _request_form(request, db, principal, values, translate_errors(exc.errors), 400)
    flash(request, gettext_("Your request has been sent to the big data bureau, which passes it to the agency "
                            "that holds the data."))
    return RedirectResponse(f"/requests/{req.id}", status_code=303)


@router.get("/requests/{req_id}")
def request_page(request: Request, db: DB, principal: SignedIn, req_id: int) -> Response:
    req, history, _actions = queries.request_view(db, principal, req_id)
    entry = None
    if req.entry_id is not None:
        try:
            entry = get_entry(db, principal, req.entry_id).card
        except NotFound:
            entry = None
    return render(request, "access/request_detail.html", {
        **VOCABULARIES, "req": req, "history": history, "entry": entry})


# --- notifications and public notices ------------------------------------------------------------------

@dataclass(frozen=True)
class NotificationView:
    id: int
    text: str
    link: str
    created_at: dt.datetime
    unread: bool


def _message(message: str, params: str) -> str:
    try:
        return gettext_(message, **json.loads(params or "{}"))
    except (ValueError, KeyError, TypeError):
        return gettext_(message)


@router.get("/me/notifications")
def notifications(request: Request, db: DB, principal: SignedIn, page: str = "1") -> Response:
    result = queries.my_notifications(db, principal, _page_number(page))
    items = [NotificationView(n.id, _message(n.message, n.params), safe_next(n.link, ""), n.created_at,
                              n.read_at is None) for n in result.items]
    return render(request, "access/notifications.html", {"page": result, "items": items})


@router.post("/me/notifications/read")
def mark_read(request: Request, db: DB, principal: SignedIn, form: Posted) -> Response:
    ids = [int(v) for v in _strings(form, "id") if v.isdigit()]
    services.mark_notifications_read(db, principal, ids or None)
    return RedirectResponse(safe_next(_text(form, "next"), "/me/notifications"), status_code=303)


@router.get("/sanctions")
def sanctions(request: Request, db: DB, principal: Me) -> Response:
    """A34.1: the sanctions the data administration has published."""
    return render(request, "access/sanctions_public.html", {
        "sanctions": queries.public_sanctions(db, principal), "sanction_kinds": SANCTION_KINDS})
