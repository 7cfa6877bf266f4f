"""The agencies' console for the catalog (A14, A15.1, A8): the entries of the organisations reached, drafts
with their data items, each entry's workflow history and reviews, and the publishing actions open to the
person looking. Every POST calls one service through ``act()``; the services check the permissions
(``require`` only gives the early answer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kaifang.accounts import list_regions
from kaifang.catalog import (
    PUBLISHING,
    REVIEW_KIND_LABELS,
    STATE_LABELS,
    EntryState,
    change_open_class,
    class_reviews_due,
    create_entry,
    entry_actions,
    entry_checklist,
    entry_history,
    entry_providers,
    entry_reviews,
    get_entry,
    list_entries,
    my_catalog_organisations,
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
from kaifang.catalog.schemas import ClassChangeInput, NoteInput, ReviewInput, WithdrawInput
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
from kaifang.i18n import gettext_
from kaifang.security import OrgRef, Permission, Principal, authorize
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import PageNumber, get_db, require
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import flash, render

router = APIRouter(prefix="/console/catalog", dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Console = Annotated[Principal, Depends(require(Permission.CONSOLE_ENTER))]
Reader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
Manager = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]
ExpertReviewer = Annotated[Principal, Depends(require(Permission.CATALOG_EXPERT_REVIEW))]
EntryForm = Annotated[forms.EntryForm, Depends(forms.posted_entry)]
NoteForm = Annotated[Submitted[NoteInput], Depends(form_of(NoteInput))]
ReviewForm = Annotated[Submitted[ReviewInput], Depends(form_of(ReviewInput))]
WithdrawForm = Annotated[Submitted[WithdrawInput], Depends(form_of(WithdrawInput))]
ClassChangeForm = Annotated[Submitted[ClassChangeInput], Depends(form_of(ClassChangeInput))]

VOCABULARIES: dict[str, Any] = {
    "domains": DOMAINS, "open_class_labels": OPEN_CLASS_LABELS, "data_type_labels": DATA_TYPE_LABELS,
    "frequency_labels": FREQUENCY_LABELS, "format_labels": FORMATS, "sensitivity_labels": SENSITIVITY_LABELS,
    "field_types": [t.value for t in FieldType], "field_formats": [f.value for f in FieldFormat],
    "state_labels": STATE_LABELS, "review_kind_labels": REVIEW_KIND_LABELS, "conclusion_labels": CONCLUSION_LABELS,
    "transition_titles": PUBLISHING.labels["transitions"], "publishing_labels": PUBLISHING.labels,
}
# The inputs each action's form shows (a problem with another input is listed above the form).
PLACED = {"submit": ("note",), "review": ("kind", "conclusion", "opinion"), "withdraw": ("reason",),
          "open_class": ("to_class", "reason", "conditions")}


def _org_of(card: Any) -> OrgRef:
    return OrgRef(card.provider_id, card.region_code)


# --- lists -----------------------------------------------------------------------------------------

@router.get("")
def entry_list(request: Request, db: DB, principal: Reader, page: PageNumber, status: str = "", q: str = "",
               org: str = "") -> Response:
    read = Permission.CATALOG_READ
    mine = my_catalog_organisations(db, principal)
    local = not (principal.reaches_everything(read) or principal.regions_for(read))
    if not org and local and len(mine) == 1:
        org = str(mine[0].id)  # a provider's people see their own catalog first
    status = status if status in STATE_LABELS else ""
    result = list_entries(db, principal, org_id=int(org) if org.isdigit() else None, status=status or None,
                          q=q.strip()[:100] or None, page=page)
    return render(request, "catalog/console_list.html", {
        **VOCABULARIES, "page": result, "orgs": mine, "filters": {"status": status, "q": q, "org": org},
        "overdue": {c.id for c in overdue_entries(db, principal)},
        "class_review_due": {c.id for c in class_reviews_due(db, principal)},
        "queue": review_queue(db, principal, per_page=20).items if principal.can(Permission.CATALOG_REVIEW) else [],
        "can_create": principal.can(Permission.CATALOG_MANAGE),
    })


@router.get("/reviews")
def expert_queue(request: Request, db: DB, principal: ExpertReviewer, page: PageNumber) -> Response:
    """A15.1, A32.1: the entries waiting for a review this person may give (experts: the expert review)."""
    return render(request, "catalog/console_reviews.html", {**VOCABULARIES, "page": review_queue(db, principal,
                                                                                                  page=page)})


# --- creating and editing drafts -------------------------------------------------------------------

def _form_page(request: Request, form: forms.EntryForm, problem: Problem | None = None, *, entry: Any = None,
               providers: list[Any] | None = None, status: int = 200) -> Response:
    return render(request, "catalog/console_form.html", {
        **VOCABULARIES, "form": form, "values": form.values, "errors": problem.errors if problem else {},
        "entry": entry, "providers": providers or [], "org_id": form.values.get("org_id", ""), "problem": problem,
    }, status_code=status)


@router.get("/new")
def entry_new(request: Request, db: DB, principal: Manager) -> Response:
    providers = entry_providers(db, principal)
    return _form_page(request, forms.new_form(str(providers[0].id) if len(providers) == 1 else ""),
                      providers=providers)


@router.post("/new")
def entry_create(request: Request, db: DB, principal: Manager, form: EntryForm) -> Response:
    return act(request, form.submitted(new=True),
               lambda data: create_entry(db, principal, int(form.values["org_id"]), data),
               done="The draft entry has been saved. Upload its data, then submit it for review.",
               then=lambda entry: f"/console/catalog/{entry.id}", name="entry",
               rerender=lambda problem: _form_page(request, form, problem, providers=entry_providers(db, principal),
                                                   status=400))


@router.get("/{entry_id}/edit")
def entry_edit(request: Request, db: DB, principal: Manager, entry_id: int) -> Response:
    entry = get_entry(db, principal, entry_id)
    authorize(principal, Permission.CATALOG_MANAGE, _org_of(entry.card))
    if entry.card.status != EntryState.DRAFT:
        flash(request, gettext_("Only a draft can be changed in full. Withdraw and revise a published entry "
                                "to change its data items or formats."), "error")
        return RedirectResponse(f"/console/catalog/{entry_id}", status_code=303)
    return _form_page(request, forms.form_of(entry), entry=entry)


@router.post("/{entry_id}/edit")
def entry_update(request: Request, db: DB, principal: Manager, entry_id: int, form: EntryForm) -> Response:
    return act(request, form.submitted(), lambda data: update_entry(db, principal, entry_id, data),
               done="The draft entry has been saved.", then=f"/console/catalog/{entry_id}", name="entry",
               rerender=lambda problem: _form_page(request, form, problem, entry=get_entry(db, principal, entry_id),
                                                   status=400))


# --- one entry and its publishing process ----------------------------------------------------------

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
        "can_edit": entry.card.status == EntryState.DRAFT and manages,
        "can_change_class": entry.card.status in (EntryState.PUBLISHED, EntryState.WITHDRAWN)
        and principal.can(Permission.CATALOG_CLASS_CHANGE, org),
        "can_read_data": principal.can(Permission.CATALOG_READ, org),
        "region": next((r for r in list_regions(db, principal) if r.code == entry.card.region_code), None),
    }, status_code=status)


@router.get("/{entry_id}")
def entry_detail(request: Request, db: DB, principal: Console, entry_id: int) -> Response:
    return _detail(request, db, principal, entry_id)


def _move(request: Request, db: Session, principal: Principal, entry_id: int, name: str, form: Submitted[Any],
          call: Callable[[Any], object], done: str) -> Response:
    """One action of the entry page: run its service, or show the entry again with every problem at its form."""
    return act(request, form, call, done=done, then=f"/console/catalog/{entry_id}", name=name,
               placed=PLACED.get(name, ()),
               rerender=lambda problem: _detail(request, db, principal, entry_id, problem, 400))


@router.post("/{entry_id}/submit")
def entry_submit(request: Request, db: DB, principal: Console, entry_id: int, form: NoteForm) -> Response:
    return _move(request, db, principal, entry_id, "submit", form,
                 lambda d: submit_entry(db, principal, entry_id, d.note), "The entry has been submitted for review.")


@router.post("/{entry_id}/recall")
def entry_recall(request: Request, db: DB, principal: Console, entry_id: int, form: NoteForm) -> Response:
    return _move(request, db, principal, entry_id, "recall", form,
                 lambda d: recall_entry(db, principal, entry_id, d.note),
                 "The submission has been recalled: the entry is a draft again.")


@router.post("/{entry_id}/review")
def entry_review(request: Request, db: DB, principal: Console, entry_id: int, form: ReviewForm) -> Response:
    return _move(request, db, principal, entry_id, "review", form,
                 lambda d: record_review(db, principal, entry_id, d.kind, d.conclusion, d.opinion),
                 "The review has been recorded.")


@router.post("/{entry_id}/publish")
def entry_publish(request: Request, db: DB, principal: Console, entry_id: int, form: NoteForm) -> Response:
    return _move(request, db, principal, entry_id, "publish", form,
                 lambda d: publish_entry(db, principal, entry_id, d.note), "The entry has been published.")


@router.post("/{entry_id}/withdraw")
def entry_withdraw(request: Request, db: DB, principal: Console, entry_id: int, form: WithdrawForm) -> Response:
    return _move(request, db, principal, entry_id, "withdraw", form,
                 lambda d: withdraw_entry(db, principal, entry_id, d.reason),
                 "The entry has been withdrawn from the catalog.")


@router.post("/{entry_id}/republish")
def entry_republish(request: Request, db: DB, principal: Console, entry_id: int, form: NoteForm) -> Response:
    return _move(request, db, principal, entry_id, "republish", form,
                 lambda d: republish_entry(db, principal, entry_id, d.note), "The entry has been published again.")


@router.post("/{entry_id}/revise")
def entry_revise(request: Request, db: DB, principal: Console, entry_id: int, form: NoteForm) -> Response:
    return _move(request, db, principal, entry_id, "revise", form,
                 lambda d: revise_entry(db, principal, entry_id, d.note),
                 "The entry is a draft again: change it, then submit it for review.")


@router.post("/{entry_id}/open-class")
def entry_open_class(request: Request, db: DB, principal: Console, entry_id: int,
                     form: ClassChangeForm) -> Response:
    return _move(request, db, principal, entry_id, "open_class", form,
                 lambda d: change_open_class(db, principal, entry_id, d.to_class, d.reason, d.conditions),
                 "The open class has been changed.")
