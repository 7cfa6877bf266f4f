"""The dataset's stable page (A17.2) and the agencies' data uploads (A9.2 目录发布, A16.1).

``/datasets/{key}`` (id or stable code) shows the entry's metadata and data items (A14.2), its open class with
conditions (A7.3) and history (A8.2), a preview (A9.2) read through the one access decision, downloads
(A16.2), the data API's documentation with this dataset's own columns (A19.1, A22.1), the quality report of
the current version (A16.1), its versions, a citation (A24.1), the way to apply for conditional data (A20.1)
and the results of use reported against it (A24.2). A not-open entry shows its name and provider only (A7.2).

``/console/catalog/{id}/data`` lists an entry's ingest runs (refreshing itself while one is queued or running,
with each problem of a failed run) and takes uploads: ``save_upload`` streams the file to disk, then
``start_ingest`` queues its check and conversion.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from kaifang.access import Delivery
from kaifang.access import queries as access_queries
from kaifang.access.decision import NEEDS_GRANT, NOT_OPEN, NOT_PUBLISHED
from kaifang.access.schemas import RESULT_KINDS
from kaifang.accounts.queries import list_regions
from kaifang.catalog import FREQUENCY_LABELS, EntryCard, get_entry, record_view
from kaifang.catalog.vocabulary import DATA_TYPE_LABELS, DOMAINS, OPEN_CLASS_LABELS, SENSITIVITY_LABELS
from kaifang.config import Settings
from kaifang.datastore import lookups, queries
from kaifang.datastore.engine import Filter, QueryError, preview
from kaifang.datastore.engine.filters import OPERATORS
from kaifang.datastore.models import DatasetVersion, IngestRun
from kaifang.datastore.quality import QualityReport
from kaifang.datastore.queries import ReadOutcome
from kaifang.datastore.schema import FieldSpec, FieldType, TableSchema
from kaifang.datastore.services import UPLOAD_FORMATS, save_upload, start_ingest
from kaifang.errors import ValidationErrors
from kaifang.i18n import gettext_
from kaifang.security import BusinessRuleError, OrgRef, Permission, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, get_principal, require
from kaifang.web.forms import translate_errors
from kaifang.web.templating import flash, render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(get_principal)]
Reader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
Manager = Annotated[Principal, Depends(require(Permission.CATALOG_MANAGE))]

PREVIEW_ROWS = 20
REFRESH_SECONDS = 2
NO_DATA = "No data has been published for this entry yet."
# (format, with a byte order mark for Excel); the download route is kaifang/datastore/routes/api.py.
DOWNLOADS = (("csv", False), ("csv", True), ("json", False), ("xml", False), ("xlsx", False), ("parquet", False))
ALL_OPERATORS = ("exact", "ne", "gt", "gte", "lt", "lte", "contains", "startswith", "in", "isnull")
_EXAMPLE_VALUES: dict[FieldType, Any] = {FieldType.STRING: "…", FieldType.INTEGER: 0, FieldType.DECIMAL: 0.0,
                                         FieldType.BOOLEAN: True, FieldType.DATE: "2026-01-01",
                                         FieldType.DATETIME: "2026-01-01T08:00:00"}


# --- the preview (A9.2) ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PreviewRequest:
    """The preview's own query string: ``sort`` (``col`` or ``-col``) and one filter (``col``, ``op``, ``value``)."""

    sort: str = ""
    column: str = ""
    op: str = "exact"
    value: str = ""

    @classmethod
    def from_query(cls, params: QueryParams) -> PreviewRequest:
        op = params.get("op", "exact")
        return cls(sort=params.get("sort", "").strip()[:80], column=params.get("col", "").strip()[:80],
                   op=op if op in ALL_OPERATORS else "exact", value=params.get("value", "")[:500])

    @property
    def filters(self) -> list[Filter]:
        if not self.column or (self.value == "" and self.op != "isnull"):
            return []
        return [Filter(self.column, self.op, self.value or "true")]

    def pairs(self, **changes: str) -> list[tuple[str, str]]:
        values = {"sort": self.sort, "col": self.column if self.filters else "",
                  "op": self.op if self.filters else "", "value": self.value if self.filters else "", **changes}
        return [(k, v) for k, v in values.items() if v]

    def log_text(self) -> str:
        return urlencode(self.pairs())

    def sort_href(self, name: str) -> str:
        """Ascending first; the same header again sorts descending; a third time back to ascending."""
        target = f"-{name}" if self.sort == name else name
        return "?" + urlencode(self.pairs(sort=target)) + "#preview"

    def sort_state(self, name: str) -> str:
        return "ascending" if self.sort == name else "descending" if self.sort == f"-{name}" else "none"


@dataclass
class PreviewPanel:
    refused: str | None = None  # translated reason of the access decision
    error: str | None = None  # translated problem with the reader's sort or filter
    fields: list[FieldSpec] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None


def preview_panel(outcome: ReadOutcome, ask: PreviewRequest, settings: Settings) -> PreviewPanel:
    if outcome.refused:
        return PreviewPanel(refused=gettext_(outcome.refused))
    readable = outcome.unwrap()
    panel = PreviewPanel(fields=readable.projection.visible_fields(readable.schema))
    try:
        page = preview(readable.path, readable.schema, readable.projection, n=PREVIEW_ROWS, sort=ask.sort or None,
                       filters=ask.filters, timeout_s=settings.query_timeout_seconds,
                       memory_limit=settings.query_memory_limit)
    except QueryError as exc:
        panel.error = gettext_(exc.msgid, **exc.params)
        return panel
    panel.rows, panel.total = page.rows, page.total
    return panel


# --- downloads (A16.2), API documentation (A19.1, A22.1), quality (A16.1) ---------------------------

@dataclass(frozen=True)
class DownloadsPanel:
    links: list[tuple[str, bool, str]]  # (format, with BOM, href)
    reason: str | None = None  # msgid, when there is nothing to download


def downloads_panel(card: EntryCard, has_data: bool) -> DownloadsPanel:
    """Links for published unconditional data (A7.4, A19.1); anyone else reads why not (A7.2, A7.3)."""
    if card.status != "published":
        return DownloadsPanel([], NOT_PUBLISHED)
    if card.open_class == "not_open":
        return DownloadsPanel([], NOT_OPEN)
    if card.open_class != "unconditional":
        return DownloadsPanel([], NEEDS_GRANT)
    if not has_data:
        return DownloadsPanel([], NO_DATA)
    return DownloadsPanel([(fmt, bom, f"/datasets/{card.id}/download/{fmt}" + ("?bom=1" if bom else ""))
                           for fmt, bom in DOWNLOADS])


@dataclass(frozen=True)
class ApiDoc:
    endpoint: str
    examples: list[tuple[str, str]]  # (kind, URL)
    response: str  # JSON text of an example answer


def _sample(spec: FieldSpec, rows: list[dict[str, Any]]) -> Any:
    for row in rows:
        if row.get(spec.name) not in (None, ""):
            return row[spec.name]
    return _EXAMPLE_VALUES[spec.type]


def api_doc(base_url: str, entry_id: int, schema: TableSchema, panel: PreviewPanel) -> ApiDoc:
    """The endpoint and three example requests with this dataset's columns. The example answer shows rows
    of the preview when the reader may see them, and typed placeholders otherwise (nothing leaks)."""
    endpoint = f"{base_url.rstrip('/')}/api/v1/datasets/{entry_id}/records"
    fields = list(schema.fields)
    rows = panel.rows[:2]
    examples = [("first", f"{endpoint}?_limit=10")]
    texts = [f for f in fields if f.type is FieldType.STRING]
    number = next((f for f in fields if f.type in (FieldType.INTEGER, FieldType.DECIMAL)), None)
    if texts:
        # Filter on the column with the longest text (a name rather than a code), group by another one.
        wordy = max(texts, key=lambda f: len(str(_sample(f, rows))))
        word = str(_sample(wordy, rows))[:2]
        shown = ",".join(f.name for f in fields[:3])
        examples.append(("filter", f"{endpoint}?{urlencode({f'{wordy.name}__contains': word, '_fields': shown})}"))
        group = next((f for f in texts if f is not wordy), wordy)
        examples.append(("group", f"{endpoint}?{urlencode({'_group_by': group.name, '_agg': 'count'})}"))
    if number is not None:
        examples.append(("sort", f"{endpoint}?{urlencode({'_sort': f'-{number.name}', '_limit': '5'})}"))
    records = rows or [{f.name: _EXAMPLE_VALUES[f.type] for f in fields}]
    answer = {"dataset": entry_id, "version": 1, "fields": [f.name for f in fields], "records": records,
              "total": len(records), "total_is_estimate": False, "next": None}
    return ApiDoc(endpoint, examples[:3], json.dumps(answer, ensure_ascii=False, indent=2, default=str))


def quality_of(version: DatasetVersion | None) -> QualityReport | None:
    if version is None:
        return None
    return QualityReport.from_json(json.loads(version.quality_json))


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
    outcome = queries.open_for_reading(db, principal, card.id, Delivery.PREVIEW, "preview", ask.log_text())
    panel = preview_panel(outcome, ask, settings)
    versions = queries.versions(db, principal, card.id)
    context.update(
        preview=panel, ask=ask, versions=versions, quality=quality_of(versions[0] if versions else None),
        downloads=downloads_panel(card, bool(versions)), api=api_doc(settings.base_url, card.id, entry.schema, panel),
        type_operators={t.value: ops for t, ops in OPERATORS.items()},
    )
    if card.status == "published":
        # A20.1: conditional data is applied for from its page; A24.2: the results of use reported against it.
        context.update(apply_href=f"/access/new?entry={card.id}" if card.open_class == "conditional" else None,
                       use_results=access_queries.results_for_entry(db, principal, card.id), result_kinds=RESULT_KINDS)
    return render(request, "datastore/dataset.html", context)


# --- the agencies' side: uploads and their ingest runs ---------------------------------------------

@dataclass(frozen=True)
class ProblemView:
    line: int | None
    column: str | None
    field: str | None
    message: str  # translated


@dataclass(frozen=True)
class RunView:
    id: int
    state: str
    progress: float
    filename: str
    size_bytes: int
    note: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    version_id: int | None
    problem_count: int
    problems: list[ProblemView]

    @classmethod
    def of(cls, run: IngestRun) -> RunView:
        problems = []
        for p in json.loads(run.problems_json or "[]"):
            params = {"line": p.get("line"), "column": p.get("column"), "field": p.get("field"),
                      **(p.get("params") or {})}
            problems.append(ProblemView(p.get("line"), p.get("column"), p.get("field"),
                                        gettext_(p.get("msgid", ""), **params)))
        return cls(run.id, run.state, run.progress, run.filename, run.size_bytes, run.note, run.created_at,
                   run.finished_at, run.version_id, run.problem_count, problems)


def _data_page(request: Request, db: Session, principal: Principal, entry_id: int, errors: dict | None = None,
               form: dict | None = None, status: int = 200) -> Response:
    runs = [RunView.of(r) for r in queries.ingest_runs(db, principal, entry_id)]
    entry = get_entry(db, principal, entry_id)
    versions = queries.versions(db, principal, entry_id)
    busy = any(r.state in ("queued", "running") for r in runs)
    org = OrgRef(entry.card.provider_id, entry.card.region_code)
    response = render(request, "datastore/console_data.html", {
        "entry": entry, "card": entry.card, "runs": runs, "busy": busy, "refresh": REFRESH_SECONDS,
        "versions": versions, "quality": quality_of(versions[0] if versions else None),
        "errors": errors or {}, "form": form or {},
        "formats": ", ".join(f.lstrip(".").upper() for f in UPLOAD_FORMATS),
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
                 file: Annotated[UploadFile | None, File()] = None, note: Annotated[str, Form()] = "") -> Response:
    # The early answer, before anything reaches the disk: an entry the principal does not reach is hidden.
    queries.ingest_runs(db, principal, entry_id, limit=1)
    if file is None or not file.filename:
        flash(request, gettext_("Please choose a file to upload."), "error")
        return RedirectResponse(f"/console/catalog/{entry_id}/data", status_code=303)
    try:
        path, size = save_upload(request.app.state.settings, file.file, file.filename)
        run = start_ingest(db, principal, entry_id, path, file.filename, size, note)
    except BusinessRuleError as exc:
        message = gettext_(exc.message, **exc.params)
        return _data_page(request, db, principal, entry_id, {exc.field or "file": message}, {"note": note}, 400)
    flash(request, gettext_("The file has been received (run %(run)s): its check and conversion are shown below.",
                            run=run.id))
    return RedirectResponse(f"/console/catalog/{entry_id}/data", status_code=303)


@router.post("/console/catalog/{entry_id}/lookups")
def entry_lookup_create(request: Request, db: DB, principal: Manager, entry_id: int,
                        name: Annotated[str, Form()] = "", title: Annotated[str, Form()] = "",
                        description: Annotated[str, Form()] = "", key_fields: Annotated[str, Form()] = "",
                        return_fields: Annotated[str, Form()] = "") -> Response:
    """A named lookup service over this entry (A19.1, A22.1)."""
    form = {"name": name, "title": title, "description": description, "key_fields": key_fields,
            "return_fields": return_fields}
    try:
        lookups.create_lookup_service(db, principal, entry_id, name, title, description, key_fields, return_fields)
    except ValidationErrors as exc:
        return _data_page(request, db, principal, entry_id, translate_errors(exc.errors), form, 400)
    flash(request, gettext_("The lookup service has been published."))
    return RedirectResponse(f"/console/catalog/{entry_id}/data", status_code=303)
