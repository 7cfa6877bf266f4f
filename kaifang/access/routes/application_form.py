"""The A20.1 form: a new application, or a draft (or one sent back as not accepted) changed. It lists the datasets
asked for with their data items, and offers the provider's other conditionally open datasets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from kaifang.access import services
from kaifang.access.applications import FROZEN
from kaifang.access.decision import OpenClass
from kaifang.access.models import AccessApplication
from kaifang.access.queries import ApplicationView, ItemView, application_view
from kaifang.access.routes.common import DB, VOCABULARIES, SignedIn
from kaifang.access.rules import NOT_CONDITIONAL, NOT_PUBLISHED
from kaifang.access.schemas import ApplicationForm, ItemInput
from kaifang.access.workflow import EDITABLE
from kaifang.catalog import SENSITIVITY_LABELS, EntryState, get_entry, search_entries
from kaifang.i18n import gettext_
from kaifang.security import NotFound, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.forms import Problem, Submitted, act, pydantic_problems
from kaifang.web.templating import flash, render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
MAX_OTHER_DATASETS = 10
SAVED = ("The application has been saved. Check the missing elements, add supporting documents and submit it.")


@dataclass
class DatasetChoice:
    """One dataset on the form: its data items, those asked for, what is wrong with it, and its position among
    the datasets asked for (the service names problems by position: ``items.0.fields``)."""

    entry_id: int
    name: str
    slug: str = ""
    fields: list[Any] = field(default_factory=list)  # FieldSpec: name, title, sensitivity
    chosen: list[str] = field(default_factory=list)
    problem: str = ""  # msgid
    index: int | None = None


@dataclass(frozen=True)
class _Item:
    """A data item known only from the application (its dataset left the published catalog)."""

    name: str
    title: str
    sensitivity: str


def _choice(db: Session, principal: Principal, entry_id: int, chosen: list[str], index: int | None = None,
            fallback: ItemView | None = None) -> DatasetChoice:
    try:
        entry = get_entry(db, principal, entry_id)
    except NotFound:
        if fallback is None:
            return DatasetChoice(entry_id, f"#{entry_id}", chosen=chosen, problem=NOT_PUBLISHED, index=index)
        fields = [_Item(n, fallback.titles.get(n, ""), "") for n in fallback.all_fields]
        return DatasetChoice(entry_id, fallback.entry_name, fallback.slug, fields, chosen, NOT_PUBLISHED, index)
    card = entry.card
    problem = ""
    if card.status != EntryState.PUBLISHED:
        problem = NOT_PUBLISHED
    elif card.open_class != OpenClass.CONDITIONAL:
        problem = NOT_CONDITIONAL
    return DatasetChoice(card.id, card.name, card.slug, list(entry.schema.fields), chosen, problem, index)


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
    found = search_entries(db, principal, None, provider=provider_id, open_class=OpenClass.CONDITIONAL,
                           sort="updated", per_page=MAX_OTHER_DATASETS + len(exclude))
    cards = [c for c in found.items if c.id not in exclude][:MAX_OTHER_DATASETS]
    return [_choice(db, principal, c.id, []) for c in cards]


def _form_page(request: Request, db: Session, principal: Principal, app: AccessApplication | None,
               values: dict[str, Any], problem: Problem | None = None, view: ApplicationView | None = None,
               status: int = 200) -> Response:
    items: list[ItemInput] = values.get("items", [])
    fallbacks = {i.entry_id: i for i in view.items} if view else {}
    datasets = [_choice(db, principal, i.entry_id, i.fields, n, fallbacks.get(i.entry_id)) for n, i in enumerate(items)]
    provider_id = app.provider_org_id if app else _provider_of(db, principal, [i.entry_id for i in items])
    return render(request, "access/form.html", {
        **VOCABULARIES, "sensitivity_labels": SENSITIVITY_LABELS, "app": app, "values": values, "datasets": datasets,
        "others": _other_datasets(db, principal, provider_id, {i.entry_id for i in items}),
        "errors": problem.errors if problem else {}, "problem": problem,
    }, status_code=status)


async def posted_application(request: Request) -> Submitted[ApplicationForm]:
    """The posted A20.1 form: each dataset ticked (``entry_id``, repeated) with its data items (``fields_<id>``)."""
    posted = await request.form()

    def texts(name: str) -> list[str]:
        return [v for v in posted.getlist(name) if isinstance(v, str) and v]

    entry_ids = list(dict.fromkeys(int(v) for v in texts("entry_id") if v.strip().isdigit() and len(v) < 10))
    values: dict[str, Any] = {k: (texts(k) or [""])[-1] for k in (
        "title", "reason", "kind", "period_start", "period_end", "results_form", "scenario")}
    values["deliveries"] = texts("deliveries")
    values["commitment"] = (texts("commitment") or [""])[-1] == "on"
    values["items"] = [ItemInput(e, texts(f"fields_{e}")) for e in entry_ids]
    try:
        return Submitted(values, ApplicationForm.model_validate(values))
    except ValidationError as exc:
        return Submitted(values, None, pydantic_problems(exc))


ApplicationPosted = Annotated[Submitted[ApplicationForm], Depends(posted_application)]


def _save(request: Request, db: Session, principal: Principal, form: Submitted[ApplicationForm],
          view: ApplicationView | None = None) -> Response:
    app = view.app if view else None
    return act(request, form, lambda data: services.save_application(db, principal, app.id if app else None,
                                                                     data.to_input()),
               done=SAVED, then=lambda saved: f"/access/{saved.id}", name="application",
               rerender=lambda problem: _form_page(request, db, principal, app, form.values, problem, view, 400))


@router.get("/access/new")
def new_application(request: Request, db: DB, principal: SignedIn) -> Response:
    ids = list(dict.fromkeys(int(e) for e in request.query_params.getlist("entry") if e.isdigit() and len(e) < 10))
    values = {"kind": "dataset", "deliveries": [], "commitment": False,
              "items": [ItemInput(e, []) for e in ids[:services.MAX_ITEMS]]}
    return _form_page(request, db, principal, None, values)


@router.post("/access/new")
def create_application(request: Request, db: DB, principal: SignedIn, form: ApplicationPosted) -> Response:
    return _save(request, db, principal, form)


def _own(db: Session, principal: Principal, app_id: int) -> ApplicationView:
    view = application_view(db, principal, app_id)
    if not view.is_applicant:
        raise NotFound()
    return view


@router.get("/access/{app_id}/edit")
def edit_application(request: Request, db: DB, principal: SignedIn, app_id: int) -> Response:
    view = _own(db, principal, app_id)
    app = view.app
    if app.status not in EDITABLE:
        flash(request, gettext_(FROZEN), "error")
        return RedirectResponse(f"/access/{app.id}", status_code=303)
    values = {"title": app.title, "reason": app.reason, "kind": app.kind, "deliveries": view.deliveries,
              "period_start": app.period_start.isoformat() if app.period_start else "",
              "period_end": app.period_end.isoformat() if app.period_end else "",
              "results_form": app.results_form, "scenario": app.scenario, "commitment": app.commitment,
              "items": [ItemInput(i.entry_id, i.fields) for i in view.items]}
    return _form_page(request, db, principal, app, values, view=view)


@router.post("/access/{app_id}/edit")
def update_application(request: Request, db: DB, principal: SignedIn, app_id: int,
                       form: ApplicationPosted) -> Response:
    return _save(request, db, principal, form, _own(db, principal, app_id))
