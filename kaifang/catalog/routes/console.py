"""The agencies' console for the catalog (A14, A15.1, A8): the entries of the organisations reached, drafts
with their data items, each entry's workflow history and reviews, and the publishing actions open to the
person looking. Every POST calls one service; the services check the permissions (``require`` only gives
the early answer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kaifang.accounts.queries import list_organisations, list_regions, my_organisations, org_ref
from kaifang.catalog import (
    PUBLISHING,
    REVIEW_KIND_LABELS,
    STATE_LABELS,
    change_open_class,
    class_reviews_due,
    create_entry,
    entry_actions,
    entry_checklist,
    entry_history,
    entry_reviews,
    get_entry,
    list_entries,
    overdue_entries,
    publish_entry,
    recall_entry,
    record_review,
    republish_entry,
    review_queue,
    revise_entry,
    submit_entry,
    update_entry,
    withdraw_entry,
)
from kaifang.catalog.routes import forms
from kaifang.catalog.vocabulary import (
    CONCLUSION_LABELS,
    DATA_TYPE_LABELS,
    DOMAINS,
    FORMATS,
    FREQUENCY_LABELS,
    OPEN_CLASS_LABELS,
    SENSITIVITY_LABELS,
)
from kaifang.datastore.schema import FieldFormat, FieldType
from kaifang.errors import ValidationErrors
from kaifang.i18n import gettext_
from kaifang.security import BusinessRuleError, OrgRef, Permission, Principal, authorize
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, require
from kaifang.web.forms import Posted, translate_errors
from kaifang.web.templating import flash, render

router = APIRouter(prefix="/console/catalog", dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Console = Annotated[Principal, Depends(require(Permission.CONSOLE_ENTER))]
Reader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
Manager = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]
ExpertReviewer = Annotated[Principal, Depends(require(Permission.CATALOG_EXPERT_REVIEW))]
Text = Annotated[str, Form()]


VOCABULARIES: dict[str, Any] = {
    "domains": DOMAINS, "open_class_labels": OPEN_CLASS_LABELS, "data_type_labels": DATA_TYPE_LABELS,
    "frequency_labels": FREQUENCY_LABELS, "format_labels": FORMATS, "sensitivity_labels": SENSITIVITY_LABELS,
    "field_types": [t.value for t in FieldType], "field_formats": [f.value for f in FieldFormat],
    "state_labels": STATE_LABELS, "review_kind_labels": REVIEW_KIND_LABELS, "conclusion_labels": CONCLUSION_LABELS,
    "transition_titles": {t.name: t.title for t in PUBLISHING.transitions}, "publishing_labels": PUBLISHING.labels,
}


def _org_of(card: Any) -> OrgRef:
    return OrgRef(card.provider_id, card.region_code)


def rule_message(exc: BusinessRuleError) -> tuple[str, list[str]]:
    """A refusal in the reader's language: its message (parameters that are msgids translated too) and the
    elements it lists, such as the missing A14.2 elements or the reviews still needed."""
    params: dict[str, Any] = {}
    listed: list[str] = []
    for key, value in exc.params.items():
        if isinstance(value, list | tuple):
            listed += [gettext_(str(v)) for v in value]
            params[key] = "、".join(gettext_(str(v)) for v in value)
        else:
            params[key] = gettext_(value) if isinstance(value, str) else value
    return gettext_(exc.message, **params), listed


# --- lists -----------------------------------------------------------------------------------------

def _page_number(text: str) -> int:
    return min(int(text), 100_000) if text.isdigit() and int(text) > 0 else 1


@router.get("")
def entry_list(request: Request, db: DB, principal: Reader, status: str = "", q: str = "", org: str = "",
               page: str = "1") -> Response:
    read = Permission.CATALOG_READ
    mine = [o for o in my_organisations(db, principal) if principal.can(read, org_ref(o))]
    local = not (principal.reaches_everything(read) or principal.regions_for(read))
    if not org and local and len(mine) == 1:
        org = str(mine[0].id)  # a provider's people see their own catalog first
    status = status if status in STATE_LABELS else ""
    result = list_entries(db, principal, org_id=int(org) if org.isdigit() else None, status=status or None,
                          q=q.strip()[:100] or None, page=_page_number(page))
    return render(request, "catalog/console_list.html", {
        **VOCABULARIES, "page": result, "orgs": mine, "filters": {"status": status, "q": q, "org": org},
        "overdue": {c.id for c in overdue_entries(db, principal)},
        "class_review_due": {c.id for c in class_reviews_due(db, principal)},
        "queue": review_queue(db, principal, per_page=20).items if principal.can(Permission.CATALOG_REVIEW) else [],
        "can_create": principal.can(Permission.CATALOG_MANAGE),
    })


@router.get("/reviews")
def expert_queue(request: Request, db: DB, principal: ExpertReviewer, page: str = "1") -> Response:
    """A15.1, A32.1: the entries waiting for a review this person may give (experts: the expert review)."""
    result = review_queue(db, principal, page=_page_number(page))
    return render(request, "catalog/console_reviews.html", {**VOCABULARIES, "page": result})


# --- creating and editing drafts -------------------------------------------------------------------

def _providers(db: Session, principal: Principal) -> list[Any]:
    """The data providers whose catalog this person may add to."""
    if principal.reaches_everything(Permission.CATALOG_MANAGE):
        return list_organisations(db, principal, kind="provider", per_page=200).items
    return [o for o in my_organisations(db, principal)
            if o.kind == "provider" and principal.can(Permission.CATALOG_MANAGE, org_ref(o))]


def _form_page(request: Request, form: forms.EntryForm, *, entry: Any = None, providers: list[Any] | None = None,
               org_id: str = "", problem: str | None = None, status: int = 200) -> Response:
    return render(request, "catalog/console_form.html", {
        **VOCABULARIES, "form": form, "values": form.values, "errors": translate_errors(form.errors),
        "entry": entry, "providers": providers or [], "org_id": org_id, "problem": problem,
    }, status_code=status)


@router.get("/new")
def entry_new(request: Request, db: DB, principal: Manager) -> Response:
    providers = _providers(db, principal)
    return _form_page(request, forms.new_form(), providers=providers,
                      org_id=str(providers[0].id) if len(providers) == 1 else "")


@router.post("/new")
def entry_create(request: Request, db: DB, principal: Manager, posted: Posted) -> Response:
    form = forms.read_form(posted)
    org_id = str(posted.get("org_id") or "")
    if not org_id.isdigit():
        form.errors["org_id"] = "Please choose the provider."
    data = form.data()
    if data is None:
        return _form_page(request, form, providers=_providers(db, principal), org_id=org_id, status=400)
    try:
        entry = create_entry(db, principal, int(org_id), data)
    except ValidationErrors as exc:
        form.errors.update(exc.errors)
        return _form_page(request, form, providers=_providers(db, principal), org_id=org_id, status=400)
    except BusinessRuleError as exc:
        return _form_page(request, form, providers=_providers(db, principal), org_id=org_id,
                          problem=rule_message(exc)[0], status=400)
    flash(request, gettext_("The draft entry has been saved. Upload its data, then submit it for review."))
    return RedirectResponse(f"/console/catalog/{entry.id}", status_code=303)


@router.get("/{entry_id}/edit")
def entry_edit(request: Request, db: DB, principal: Manager, entry_id: int) -> Response:
    entry = get_entry(db, principal, entry_id)
    authorize(principal, Permission.CATALOG_MANAGE, _org_of(entry.card))
    if entry.card.status != "draft":
        flash(request, gettext_("Only a draft can be changed in full. Withdraw and revise a published entry "
                                "to change its data items or formats."), "error")
        return RedirectResponse(f"/console/catalog/{entry_id}", status_code=303)
    return _form_page(request, forms.form_of(entry), entry=entry)


@router.post("/{entry_id}/edit")
def entry_update(request: Request, db: DB, principal: Manager, entry_id: int, posted: Posted) -> Response:
    form = forms.read_form(posted)
    data = form.data()
    if data is None:
        return _form_page(request, form, entry=get_entry(db, principal, entry_id), status=400)
    try:
        update_entry(db, principal, entry_id, data)
    except ValidationErrors as exc:
        form.errors.update(exc.errors)
        return _form_page(request, form, entry=get_entry(db, principal, entry_id), status=400)
    except BusinessRuleError as exc:
        return _form_page(request, form, entry=get_entry(db, principal, entry_id), problem=rule_message(exc)[0],
                          status=400)
    flash(request, gettext_("The draft entry has been saved."))
    return RedirectResponse(f"/console/catalog/{entry_id}", status_code=303)


# --- one entry and its publishing process ----------------------------------------------------------

@dataclass
class Problem:
    """A refused action, shown next to its form: ``form`` names the form, ``values`` what was sent."""

    form: str
    message: str
    listed: list[str] = field(default_factory=list)
    field_name: str | None = None  # the input at fault
    values: dict[str, str] = field(default_factory=dict)


def _detail(request: Request, db: Session, principal: Principal, entry_id: int, problem: Problem | None = None,
            status: int = 200) -> Response:
    entry = get_entry(db, principal, entry_id)
    history = entry_history(db, principal, entry_id)  # hidden (404) for whoever does not see the internals
    actions = {t.name for t in entry_actions(db, principal, entry_id)}
    org = _org_of(entry.card)
    manages = principal.can(Permission.CATALOG_MANAGE, org)
    kinds = (["privacy", "legality"] if actions & {"start_review", "review"} else []) + (
        ["expert"] if "expert_review" in actions else [])
    return render(request, "catalog/console_entry.html", {
        **VOCABULARIES, "entry": entry, "card": entry.card, "history_rows": history, "actions": actions,
        "reviews": entry_reviews(db, principal, entry_id),
        "checklist": entry_checklist(db, principal, entry_id) if manages else None,
        "review_kinds": kinds, "problem": problem,
        "can_edit": entry.card.status == "draft" and manages,
        "can_change_class": entry.card.status in ("published", "withdrawn")
        and principal.can(Permission.CATALOG_CLASS_CHANGE, org),
        "can_read_data": principal.can(Permission.CATALOG_READ, org),
        "region": next((r for r in list_regions(db, principal) if r.code == entry.card.region_code), None),
    }, status_code=status)


@router.get("/{entry_id}")
def entry_detail(request: Request, db: DB, principal: Console, entry_id: int) -> Response:
    return _detail(request, db, principal, entry_id)


def _act(request: Request, db: Session, principal: Principal, entry_id: int, form: str, call: Callable[[], Any],
         done: str, values: dict[str, str] | None = None) -> Response:
    """Run one service; on a refusal show the entry again with the reason next to the form."""
    try:
        call()
    except ValidationErrors as exc:
        errors = translate_errors(exc.errors)
        return _detail(request, db, principal, entry_id, Problem(form, gettext_(exc.message), list(errors.values()),
                                                                 values=values or {}), 400)
    except BusinessRuleError as exc:
        message, listed = rule_message(exc)
        return _detail(request, db, principal, entry_id, Problem(form, message, listed, exc.field, values or {}), 400)
    flash(request, gettext_(done))
    return RedirectResponse(f"/console/catalog/{entry_id}", status_code=303)


@router.post("/{entry_id}/submit")
def entry_submit(request: Request, db: DB, principal: Console, entry_id: int, note: Text = "") -> Response:
    return _act(request, db, principal, entry_id, "submit", lambda: submit_entry(db, principal, entry_id, note),
                "The entry has been submitted for review.", {"note": note})


@router.post("/{entry_id}/recall")
def entry_recall(request: Request, db: DB, principal: Console, entry_id: int, note: Text = "") -> Response:
    return _act(request, db, principal, entry_id, "recall", lambda: recall_entry(db, principal, entry_id, note),
                "The submission has been recalled: the entry is a draft again.")


@router.post("/{entry_id}/review")
def entry_review(request: Request, db: DB, principal: Console, entry_id: int, kind: Text = "",
                 conclusion: Text = "", opinion: Text = "") -> Response:
    return _act(request, db, principal, entry_id, "review",
                lambda: record_review(db, principal, entry_id, kind, conclusion, opinion),
                "The review has been recorded.", {"kind": kind, "conclusion": conclusion, "opinion": opinion})


@router.post("/{entry_id}/publish")
def entry_publish(request: Request, db: DB, principal: Console, entry_id: int, note: Text = "") -> Response:
    return _act(request, db, principal, entry_id, "publish", lambda: publish_entry(db, principal, entry_id, note),
                "The entry has been published.")


@router.post("/{entry_id}/withdraw")
def entry_withdraw(request: Request, db: DB, principal: Console, entry_id: int, reason: Text = "") -> Response:
    return _act(request, db, principal, entry_id, "withdraw", lambda: withdraw_entry(db, principal, entry_id, reason),
                "The entry has been withdrawn from the catalog.", {"reason": reason})


@router.post("/{entry_id}/republish")
def entry_republish(request: Request, db: DB, principal: Console, entry_id: int, note: Text = "") -> Response:
    return _act(request, db, principal, entry_id, "republish",
                lambda: republish_entry(db, principal, entry_id, note), "The entry has been published again.")


@router.post("/{entry_id}/revise")
def entry_revise(request: Request, db: DB, principal: Console, entry_id: int, note: Text = "") -> Response:
    return _act(request, db, principal, entry_id, "revise", lambda: revise_entry(db, principal, entry_id, note),
                "The entry is a draft again: change it, then submit it for review.")


@router.post("/{entry_id}/open-class")
def entry_open_class(request: Request, db: DB, principal: Console, entry_id: int, to_class: Text = "",
                     reason: Text = "", conditions: Text = "") -> Response:
    return _act(request, db, principal, entry_id, "open_class",
                lambda: change_open_class(db, principal, entry_id, to_class, reason, conditions),
                "The open class has been changed.", {"to_class": to_class, "reason": reason, "conditions": conditions})
