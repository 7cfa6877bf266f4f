"""The dataset's stable page (A17.2) and the agencies' data uploads (A9.2 目录发布, A16.1).

``/datasets/{key}`` (id or stable code) shows the entry's metadata and data items (A14.2), its open class with
conditions (A7.3) and history (A8.2), a preview (A9.2) read through the one access decision, the downloads
(A16.2) and the data API with this dataset's own columns (A19.1, A22.1) that the same decision offers this
reader, the quality report of the current version (A16.1), its versions, a citation (A24.1), the way to apply
for conditional data (A20.1) and the results of use reported against it (A24.2). A not-open entry shows its
name and provider only (A7.2).

``/console/catalog/{id}/data`` lists an entry's ingest runs (refreshing itself while one is queued or running,
with each problem of a failed run) and takes uploads and lookup services.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kaifang.access import NOT_OPEN, RESULT_KINDS, results_for_entry
from kaifang.accounts import list_regions
from kaifang.catalog import (
    DATA_TYPE_LABELS,
    DOMAINS,
    FREQUENCY_LABELS,
    OPEN_CLASS_LABELS,
    SENSITIVITY_LABELS,
    EntryState,
    get_entry,
    record_view,
)
from kaifang.config import Settings
from kaifang.datastore import lookups, queries
from kaifang.datastore.engine.filters import OPERATORS
from kaifang.datastore.reading import ALL_OPERATORS, PreviewRequest, read_preview
from kaifang.datastore.routes.panels import RunView, api_of, downloads_of, quality_of
from kaifang.datastore.services import UPLOAD_FORMATS, receive_upload
from kaifang.datastore.workflow import BUSY, STATE_LABELS
from kaifang.errors import Message
from kaifang.i18n import translate
from kaifang.security import OrgRef, Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, get_principal, require
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(get_principal)]
Reader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
Manager = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]

REFRESH_SECONDS = 2


@router.get("/datasets/{key}")
def dataset_page(request: Request, db: DB, principal: Me, key: str) -> Response:
    entry = get_entry(db, principal, key)
    card = entry.card
    regions = {r.code: r for r in list_regions(db, principal)}
    context: dict[str, Any] = {
        "entry": entry, "card": card, "region": regions.get(card.region_code), "domains": DOMAINS,
        "frequency_labels": FREQUENCY_LABELS, "data_type_labels": DATA_TYPE_LABELS,
        "sensitivity_labels": SENSITIVITY_LABELS, "open_class_labels": OPEN_CLASS_LABELS,
        "operators": ALL_OPERATORS, "not_open_reason": NOT_OPEN,
    }
    record_view(db, principal, card.id)
    if card.restricted:  # A7.2: name and provider only; no data is read
        return render(request, "datastore/dataset.html", context)
    settings: Settings = request.app.state.settings
    ask = PreviewRequest.from_query(request.query_params)
    preview = read_preview(db, principal, card.id, ask)  # its decision is the page's offer
    versions = queries.versions(db, principal, card.id)
    context.update(
        preview=preview, ask=ask, versions=versions, quality=quality_of(versions[0] if versions else None),
        preview_refused=translate(preview.refused) if preview.refused else None,
        preview_error=translate(preview.error) if preview.error else None,
        downloads=downloads_of(card.id, preview.offer, bool(versions)),
        api=api_of(settings.base_url, card.id, entry.schema, preview.offer, bool(versions), preview),
        type_operators={t.value: ops for t, ops in OPERATORS.items()},
    )
    if card.status == EntryState.PUBLISHED:
        # A20.1: conditional data is applied for from its page; A24.2: the results of use reported against it.
        context.update(apply_href=f"/access/new?entry={card.id}" if card.open_class == "conditional" else None,
                       use_results=results_for_entry(db, principal, card.id), result_kinds=RESULT_KINDS)
    return render(request, "datastore/dataset.html", context)


# --- the agencies' side: uploads, their ingest runs, lookup services --------------------------------

class UploadForm(BaseModel):
    note: str = Field(default="", max_length=2000)  # the service keeps the first 500 characters


class LookupForm(BaseModel):
    """The service checks each value (a name for the URL, known data items); the form only bounds their size."""

    name: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=1000)
    description: str = Field(default="", max_length=4000)
    key_fields: str = Field(default="", max_length=2000)
    return_fields: str = Field(default="", max_length=2000)


def _data_page(request: Request, db: Session, principal: Principal, entry_id: int, problem: Problem | None = None,
               status: int = 200) -> Response:
    runs = [RunView.of(r) for r in queries.ingest_runs(db, principal, entry_id)]
    entry = get_entry(db, principal, entry_id)
    versions = queries.versions(db, principal, entry_id)
    busy = any(r.state in BUSY for r in runs)
    org = OrgRef(entry.card.provider_id, entry.card.region_code)
    response = render(request, "datastore/console_data.html", {
        "entry": entry, "card": entry.card, "runs": runs, "busy": busy, "refresh": REFRESH_SECONDS,
        "state_labels": STATE_LABELS, "versions": versions, "quality": quality_of(versions[0] if versions else None),
        "problem": problem, "formats": ", ".join(f.lstrip(".").upper() for f in UPLOAD_FORMATS),
        "limit_mb": request.app.state.settings.max_upload_bytes // (1024 * 1024),
        "can_upload": principal.can(Permission.CATALOG_MANAGE, org) and entry.card.open_class != "not_open",
        "lookups": lookups.lookup_services(db, principal, entry_id),
    }, status_code=status)
    if busy:  # the page follows its runs until they end, then stops refreshing
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@router.get("/console/catalog/{entry_id}/data")
def entry_data(request: Request, db: DB, principal: Reader, entry_id: int) -> Response:
    return _data_page(request, db, principal, entry_id)


@router.post("/console/catalog/{entry_id}/upload")
def entry_upload(request: Request, db: DB, principal: Manager, entry_id: int,
                 form: Annotated[Submitted[UploadForm], Depends(form_of(UploadForm))],
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    return act(request, form, lambda data: receive_upload(db, principal, entry_id, file.file if file else None,
                                                          file.filename or "" if file else "", data.note),
               done=lambda run: Message(
                   "The file has been received (run %(run)s): its check and conversion are shown below.",
                   {"run": run.id}),
               then=f"/console/catalog/{entry_id}/data", name="upload",
               rerender=lambda problem: _data_page(request, db, principal, entry_id, problem, 400))


@router.post("/console/catalog/{entry_id}/lookups")
def entry_lookup_create(request: Request, db: DB, principal: Manager, entry_id: int,
                        form: Annotated[Submitted[LookupForm], Depends(form_of(LookupForm))]) -> Response:
    """A named lookup service over this entry (A19.1, A22.1)."""
    return act(request, form, lambda d: lookups.create_lookup_service(
                   db, principal, entry_id, d.name, d.title, d.description, d.key_fields, d.return_fields),
               done="The lookup service has been published.", then=f"/console/catalog/{entry_id}/data",
               name="lookup", rerender=lambda problem: _data_page(request, db, principal, entry_id, problem, 400))
