"""The business rules on what an application and an approval contain (A20.1, A20.3): every problem found at once,
as msgids with their parameters. Helpers of the services in applications.py; nothing here writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.access.decision import OpenClass
from kaifang.access.models import AccessApplication, ApplicationAttachment, ApplicationItem
from kaifang.access.row_filters import clean_row_filter, row_filters_of
from kaifang.access.schemas import (
    DELIVERY_LABELS,
    KIND_LABELS,
    NO_DELIVERY,
    NO_FIRST_DAY,
    NO_LAST_DAY,
    NO_PURPOSE,
    ApplicationInput,
    ApprovalInput,
)
from kaifang.catalog import EntryState, entry_access_info
from kaifang.clock import today
from kaifang.errors import BusinessRuleError, Message, NotFound, QueryError, ValidationErrors

MAX_ITEMS = 20
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_PERIOD_DAYS = 3 * 366  # a use period of at most three years
LONG_TEXT_LIMITS = {"reason": 5000, "results_form": 5000, "scenario": 5000}
# Supporting documents: the type is checked on the name and on the content's first bytes.
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),
}
ONE_PROVIDER = ("All datasets of one application must come from the same provider: apply to each provider "
                "separately.")
NOT_PUBLISHED = "This dataset is not in the published catalog."
NOT_CONDITIONAL = ("Only conditionally open datasets need an application; unconditionally open data can be used "
                   "directly.")


@dataclass(frozen=True)
class CleanApplication:
    """An application's input, cleaned: its columns, its provider, and each dataset with the data items wanted."""

    values: dict[str, Any]
    provider: int | None
    items: list[tuple[int, list[str]]]


def _clean_items(session: Session, data: ApplicationInput, errors: dict[str, Message]) -> tuple[int | None, list]:
    """Each dataset published and conditionally open, all of one provider, the fields its data items."""
    provider: int | None = None
    items = []
    seen: set[int] = set()
    if len(data.items) > MAX_ITEMS:
        errors["items"] = Message("An application covers at most %(n)s datasets.", {"n": MAX_ITEMS})
    for i, item in enumerate(data.items[:MAX_ITEMS]):
        try:
            entry = entry_access_info(session, item.entry_id)
        except NotFound:
            entry = None
        if entry is None or entry.status != EntryState.PUBLISHED:
            errors[f"items.{i}.entry_id"] = Message(NOT_PUBLISHED)
            continue
        if entry.open_class != OpenClass.CONDITIONAL:
            errors[f"items.{i}.entry_id"] = Message(NOT_CONDITIONAL)
            continue
        if item.entry_id in seen:
            errors[f"items.{i}.entry_id"] = Message("This dataset is listed twice.")
            continue
        seen.add(item.entry_id)
        if provider is None:
            provider = entry.org.id
        elif entry.org.id != provider:
            errors[f"items.{i}.entry_id"] = Message(ONE_PROVIDER)
            continue
        names = [n for n in dict.fromkeys(f.strip() for f in item.fields) if n]
        known = set(entry.schema.names())
        if any(n not in known for n in names):
            errors[f"items.{i}.fields"] = Message("A data item asked for is not part of this dataset.")
        items.append((entry.entry_id, names))
    return provider, items


def clean_application(session: Session, data: ApplicationInput) -> CleanApplication:
    """A20.1: what a draft may hold. Raises ``ValidationErrors`` with every problem."""
    errors: dict[str, Message] = {}
    clean: dict[str, Any] = {
        "title": " ".join(data.title.split())[:200], "reason": data.reason.strip(), "kind": data.kind,
        "results_form": data.results_form.strip(), "scenario": data.scenario.strip(),
        "commitment": bool(data.commitment), "period_start": data.period_start, "period_end": data.period_end,
    }
    for name, limit in LONG_TEXT_LIMITS.items():
        if len(clean[name]) > limit:
            errors[name] = Message("This text is too long: at most %(n)s characters.", {"n": limit})
    if data.kind not in KIND_LABELS:
        errors["kind"] = Message("Choose what is applied for: a dataset or a data service API.")
    deliveries = [d for d in dict.fromkeys(data.deliveries) if d]
    if any(d not in DELIVERY_LABELS for d in deliveries):
        errors["deliveries"] = Message("Unknown way of delivering data.")
    clean["deliveries"] = json.dumps(deliveries)
    if data.period_start and data.period_end:
        if data.period_end < data.period_start:
            errors["period_end"] = Message("The period must end after it starts.")
        elif (data.period_end - data.period_start).days > MAX_PERIOD_DAYS:
            errors["period_end"] = Message("The usage period may be at most three years.")
    provider, items = _clean_items(session, data, errors)
    if errors:
        raise ValidationErrors(errors)
    return CleanApplication(clean, provider, items)


def items_of(session: Session, app: AccessApplication) -> list[ApplicationItem]:
    return list(session.execute(select(ApplicationItem).where(ApplicationItem.application_id == app.id)
                                .order_by(ApplicationItem.id)).scalars())


def snapshot(session: Session, app: AccessApplication) -> dict[str, Any]:
    """What the application holds, as the audit trail and an acceptance round keep it."""
    files = session.execute(select(ApplicationAttachment).where(ApplicationAttachment.application_id == app.id)
                            .order_by(ApplicationAttachment.id)).scalars()
    return {
        "title": app.title, "reason": app.reason, "kind": app.kind, "deliveries": json.loads(app.deliveries),
        "period_start": app.period_start.isoformat() if app.period_start else None,
        "period_end": app.period_end.isoformat() if app.period_end else None,
        "results_form": app.results_form, "scenario": app.scenario, "commitment": app.commitment,
        "items": [{"entry_id": i.entry_id, "fields": json.loads(i.fields)} for i in items_of(session, app)],
        "attachments": [{"filename": f.filename, "size": f.size, "sha256": f.sha256} for f in files],
    }


def missing_elements(session: Session, app: AccessApplication,
                     items: list[ApplicationItem] | None = None) -> list[str]:
    """A20.1: the elements a submission still lacks (English msgids of their labels); ``items``: the application's
    datasets, when the caller has read them already."""
    items = items_of(session, app) if items is None else items
    checks = [
        (app.title, "Title of the application"), (app.reason, "Reason"), (json.loads(app.deliveries), "Delivery"),
        (app.period_start and app.period_end, "Usage period"), (app.results_form, "Form of results"),
        (app.scenario, "Application scenario"), (app.commitment, "Commitment"),
        (items, "Datasets"), (items and all(json.loads(i.fields) for i in items), "Data items wanted"),
    ]
    return [label for value, label in checks if not value]


def check_attachment(filename: str, content: bytes) -> tuple[str, str]:
    """A20.1: a supporting document's name and type (checked on the name and the content), at most 10 MB.
    Returns the name to keep and the content type."""
    if not filename:
        raise BusinessRuleError("Please choose a file to upload.", field="attachment")
    name = Path(filename).name.strip()[:200]
    suffix = Path(name).suffix.lower()
    kind = ATTACHMENT_TYPES.get(suffix)
    if not name or kind is None:
        raise BusinessRuleError("Attach PDF, PNG, JPEG, DOCX, XLSX or OFD files only.", field="attachment")
    if not content:
        raise BusinessRuleError("The file is empty.", field="attachment")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise BusinessRuleError("An attachment may be at most %(mb)s MB.", field="attachment",
                                mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    if not content.startswith(kind[1]):
        raise BusinessRuleError("The file %(name)s is not really a %(suffix)s file.", field="attachment",
                                name=name, suffix=suffix.lstrip(".").upper())
    return name, kind[0]


# --- the provider's approval (A20.3) -------------------------------------------------------------------

def _approved_period(app: AccessApplication, data: ApprovalInput, errors: dict[str, Message]) -> None:
    start, end = data.period_start, data.period_end
    if start is None:
        errors["period_start"] = Message(NO_FIRST_DAY)
    if end is None:
        errors["period_end"] = Message(NO_LAST_DAY)
    if start and end:
        if end < start:
            errors["period_end"] = Message("The period must end after it starts.")
        elif app.period_start and app.period_end and (start < app.period_start or end > app.period_end):
            errors["period_end"] = Message("The approved period must lie within the period applied for.")
        elif end < today():
            errors["period_end"] = Message("The approved period has already ended.")


def _approved_items(session: Session, app: AccessApplication, data: ApprovalInput,
                    errors: dict[str, Message]) -> list[tuple[ApplicationItem, list[str], str]]:
    rows = {i.entry_id: i for i in items_of(session, app)}
    out = []
    for item in data.items:
        row = rows.get(item.entry_id)
        if row is None:
            errors[f"items.{item.entry_id}.fields"] = Message("This dataset is not part of the application.")
            continue
        names = [n for n in dict.fromkeys(item.fields) if n]
        asked = set(json.loads(row.fields))
        if any(n not in asked for n in names):
            errors[f"items.{item.entry_id}.fields"] = Message("Only data items that were applied for can be "
                                                              "approved.")
            continue
        if not names:
            continue  # nothing of this dataset approved
        try:
            row_filters_of(item.row_filter, entry_access_info(session, item.entry_id).schema)
        except QueryError as exc:
            errors[f"items.{item.entry_id}.row_filter"] = exc.as_message()
            continue
        out.append((row, names, clean_row_filter(item.row_filter)))
    if not out and not errors:
        errors["items"] = Message("Approve at least one data item, or refuse the application.")
    return out


@dataclass(frozen=True)
class CleanApproval:
    purpose: str
    deliveries: list[str]
    items: list[tuple[ApplicationItem, list[str], str]]  # the item, the data items approved, the row condition


def check_approval(session: Session, app: AccessApplication, data: ApprovalInput) -> tuple[CleanApproval,
                                                                                             dict[str, Message]]:
    """A20.3: the approved purpose, delivery, period and scope, and every problem with them."""
    errors: dict[str, Message] = {}
    purpose = data.purpose.strip()
    if not purpose:
        errors["purpose"] = Message(NO_PURPOSE)
    deliveries = [d for d in dict.fromkeys(data.deliveries) if d]
    if not deliveries:
        errors["deliveries"] = Message(NO_DELIVERY)
    elif any(d not in DELIVERY_LABELS for d in deliveries):
        errors["deliveries"] = Message("Unknown way of delivering data.")
    _approved_period(app, data, errors)
    items = _approved_items(session, app, data, errors)
    return CleanApproval(purpose, deliveries, items), errors

