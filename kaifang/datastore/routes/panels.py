"""What the datastore's pages show, built from the reading services' answers: the dataset page's download and
API panels (from the access decision's ``Offer``: A16.2, A19.1, A20.4, A22.1), its quality report (A16.1), and
the agencies' ingest runs with their problems (A9.2). Translation happens here, at the edge."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from kaifang.access import Delivery, Offer
from kaifang.datastore.models import DatasetVersion, IngestRun
from kaifang.datastore.quality import QualityReport
from kaifang.datastore.reading import DOWNLOADS, NO_DATA, PreviewAnswer, download_href
from kaifang.datastore.schema import FieldSpec, FieldType, TableSchema
from kaifang.errors import Message
from kaifang.i18n import translate

_EXAMPLE_VALUES: dict[FieldType, Any] = {FieldType.STRING: "…", FieldType.INTEGER: 0, FieldType.DECIMAL: 0.0,
                                         FieldType.BOOLEAN: True, FieldType.DATE: "2026-01-01",
                                         FieldType.DATETIME: "2026-01-01T08:00:00"}


@dataclass(frozen=True)
class ApiDoc:
    endpoint: str
    examples: list[tuple[str, str]]  # (kind, URL)
    response: str  # JSON text of an example answer


@dataclass(frozen=True)
class DeliveryPanel:
    """One way of getting the data, as the page offers it: open (``granted`` when under the reader's approved
    application) or closed with the ``reason`` (a msgid)."""

    open: bool
    reason: str | None = None
    granted: bool = False


@dataclass(frozen=True)
class DownloadsPanel(DeliveryPanel):
    links: tuple[tuple[str, bool, str], ...] = ()  # (format, with BOM, href)


@dataclass(frozen=True)
class ApiPanel(DeliveryPanel):
    doc: ApiDoc | None = None


def _panel(offer: Offer | None, delivery: Delivery, has_data: bool) -> DeliveryPanel:
    if offer is None:
        return DeliveryPanel(False, NO_DATA)
    decision = offer.decision(delivery)
    if not decision.allowed:
        return DeliveryPanel(False, decision.reason)
    if not has_data:
        return DeliveryPanel(False, NO_DATA)
    return DeliveryPanel(True, granted=decision.grant_id is not None)


def downloads_of(entry_id: int, offer: Offer | None, has_data: bool) -> DownloadsPanel:
    """A16.2: a link per format when the decision opens downloads to this reader (anyone for unconditional
    data, a grantee whose grant covers downloads); otherwise why not (A7.2, A7.3, A20.4)."""
    panel = _panel(offer, Delivery.DOWNLOAD, has_data)
    links = tuple((fmt, bom, download_href(entry_id, fmt, bom)) for fmt, bom in DOWNLOADS) if panel.open else ()
    return DownloadsPanel(panel.open, panel.reason, panel.granted, links)


def api_of(base_url: str, entry_id: int, schema: TableSchema, offer: Offer | None, has_data: bool,
           preview: PreviewAnswer) -> ApiPanel:
    """A19.1, A22.1: the data API's endpoint and examples with the columns the reader may read, when the decision
    opens the API to them; otherwise why not."""
    panel = _panel(offer, Delivery.API, has_data)
    if not panel.open or offer is None:
        return ApiPanel(panel.open, panel.reason, panel.granted)
    projection = offer.decision(Delivery.API).projection
    fields = projection.visible_fields(schema) if projection is not None else list(schema.fields)
    return ApiPanel(True, None, panel.granted, api_doc(base_url, entry_id, fields, preview.rows))


def _sample(spec: FieldSpec, rows: list[dict[str, Any]]) -> Any:
    for row in rows:
        if row.get(spec.name) not in (None, ""):
            return row[spec.name]
    return _EXAMPLE_VALUES[spec.type]


def api_doc(base_url: str, entry_id: int, fields: list[FieldSpec], preview_rows: list[dict[str, Any]]) -> ApiDoc:
    """The endpoint and three example requests with the reader's columns. The example answer shows rows of the
    preview when the reader may see them, and typed placeholders otherwise (nothing leaks)."""
    endpoint = f"{base_url.rstrip('/')}/api/v1/datasets/{entry_id}/records"
    rows = [{f.name: r.get(f.name) for f in fields} for r in preview_rows[:2]]
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
                                        translate(Message(p.get("msgid", ""), params))))
        return cls(run.id, run.state, run.progress, run.filename, run.size_bytes, run.note, run.created_at,
                   run.finished_at, run.version_id, run.problem_count, problems)
