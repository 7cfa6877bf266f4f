"""Catalog writes: draft entries and their data items (A14), the publishing process (A15.1), data updates
(A16.3) and popularity counters. Open-class changes (A8) are in ``classes.py``, the checks of a draft's values
in ``validation.py``.

Each service is one transaction with its audit event. ``@service`` checks the coarse permission; the
entry is then looked up as the caller sees it (a hidden one answers like a missing one) and the
workflow transition, or ``authorize``, checks the permission against the entry's organisation.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from kaifang.accounts import Organisation, org_ref
from kaifang.audit import record
from kaifang.catalog import search
from kaifang.catalog.models import CatalogEntry, CatalogFormat, CatalogTag, DataItem, EntryReview
from kaifang.catalog.rules import default_citation, due_for_update, needs_expert_review, next_class_review
from kaifang.catalog.schemas import EntryDetailsInput, EntryInput
from kaifang.catalog.validation import check_details, validate_entry
from kaifang.catalog.visibility import entry_org, visible_entry
from kaifang.catalog.vocabulary import (
    Conclusion,
    ReviewKind,
)
from kaifang.catalog.workflow import PUBLISHING, EntryState
from kaifang.db import utcnow
from kaifang.errors import Message, ValidationErrors
from kaifang.security import (
    AUTHENTICATED,
    PUBLIC,
    BusinessRuleError,
    NotFound,
    Permission,
    Principal,
    authorize,
    service,
)
from kaifang.workdays import SHANGHAI
from kaifang.workflow import transition

_CHILDREN = ("tags", "formats", "items")


def _apply(session: Session, entry: CatalogEntry, clean: dict[str, Any]) -> None:
    for key, value in clean.items():
        if key == "themes":
            entry.themes = json.dumps(value, ensure_ascii=False)
        elif key not in _CHILDREN:
            setattr(entry, key, value)
    session.flush()
    if "tags" in clean:
        session.execute(delete(CatalogTag).where(CatalogTag.entry_id == entry.id))
        session.add_all(CatalogTag(entry_id=entry.id, tag=t) for t in clean["tags"])
    if "formats" in clean:
        session.execute(delete(CatalogFormat).where(CatalogFormat.entry_id == entry.id))
        session.add_all(CatalogFormat(entry_id=entry.id, format=f) for f in clean["formats"])
    if "items" in clean:
        session.execute(delete(DataItem).where(DataItem.entry_id == entry.id))
        session.add_all(DataItem(entry_id=entry.id, position=i, **item) for i, item in enumerate(clean["items"]))
        entry.field_count = len(clean["items"])
    sensitivities = session.execute(select(DataItem.sensitivity).where(DataItem.entry_id == entry.id)).scalars()
    entry.needs_expert_review = needs_expert_review(entry.expert_review_requested, entry.open_class,
                                                    list(sensitivities))
    session.flush()


def snapshot(entry: CatalogEntry) -> dict[str, Any]:
    """What the audit trail keeps of an entry."""
    return {"slug": entry.slug, "name": entry.name, "status": entry.status, "open_class": entry.open_class,
            "domain": entry.domain, "data_type": entry.data_type, "update_frequency": entry.update_frequency,
            "fields": entry.field_count, "needs_expert_review": entry.needs_expert_review}


@service(Permission.CATALOG_MANAGE)
def create_entry(session: Session, principal: Principal, org_id: int, data: EntryInput) -> CatalogEntry:
    """A14.1, A14.2: register a draft entry in the catalog of ``org_id``'s region, with its data items."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    authorize(principal, Permission.CATALOG_MANAGE, org_ref(org))
    if org.kind != "provider":
        raise BusinessRuleError("Only a data provider can register catalog entries.")
    clean = validate_entry(data)
    # Lock the provider's row so that two entries created at once cannot take the same number.
    session.execute(select(Organisation.id).where(Organisation.id == org.id).with_for_update())
    seq = (session.execute(select(func.max(CatalogEntry.seq)).where(CatalogEntry.provider_org_id == org.id))
           .scalar_one() or 0) + 1
    now = utcnow()
    entry = CatalogEntry(slug=f"SZ-{org.id:04d}-{seq:04d}", seq=seq, provider_org_id=org.id,
                         region_code=org.region_code, status=PUBLISHING.initial, created_at=now,
                         created_by_user_id=principal.user_id, updated_at=now)
    session.add(entry)
    _apply(session, entry, clean)
    record(session, principal, "catalog.entry_created", "catalog_entry", entry.id, after=snapshot(entry))
    return entry


@service(Permission.CATALOG_MANAGE)
def update_entry(session: Session, principal: Principal, entry_id: int, data: EntryInput) -> CatalogEntry:
    """Change everything of a draft: what is opened changes only before review (A15.1)."""
    entry = visible_entry(session, entry_id, principal)
    authorize(principal, Permission.CATALOG_MANAGE, entry_org(entry))
    if entry.status != EntryState.DRAFT:
        raise BusinessRuleError("Only a draft can be changed in full. Withdraw and revise a published entry "
                                "to change its data items or formats.")
    before = snapshot(entry)
    _apply(session, entry, validate_entry(data))
    entry.updated_at = utcnow()
    record(session, principal, "catalog.entry_updated", "catalog_entry", entry.id, before=before,
           after=snapshot(entry))
    return entry


@service(Permission.CATALOG_MANAGE)
def update_entry_details(session: Session, principal: Principal, entry_id: int,
                         data: EntryDetailsInput) -> CatalogEntry:
    """Change the descriptive part of an entry in any state (summary, tags, contact ...): no new review."""
    entry = visible_entry(session, entry_id, principal)
    authorize(principal, Permission.CATALOG_MANAGE, entry_org(entry))
    errors: dict[str, str | Message] = {}
    clean = check_details(data, errors)
    if errors:
        raise ValidationErrors(errors)
    before = {k: getattr(entry, k) for k in ("summary", "industry", "contact_name", "contact_phone",
                                             "contact_email", "row_count", "citation")}
    _apply(session, entry, clean)
    entry.updated_at = utcnow()
    search.index_entry(session, entry)
    record(session, principal, "catalog.entry_details_updated", "catalog_entry", entry.id, before=before,
           after={k: clean[k] for k in before} | {"tags": clean["tags"], "themes": clean["themes"]})
    return entry


# --- the publishing process (kaifang/catalog/workflow.py) ------------------------------------------

@service(Permission.CATALOG_MANAGE)
def submit_entry(session: Session, principal: Principal, entry_id: int, note: str = "") -> CatalogEntry:
    """A14.2: submit a complete draft for review; an incomplete one is refused with every missing element."""
    entry = visible_entry(session, entry_id, principal)
    transition(session, principal, PUBLISHING, entry, "submit", org=entry_org(entry), note=note,
               round=entry.review_round + 1)
    entry.review_round += 1
    entry.submitted_by_user_id = principal.user_id
    return entry


@service(Permission.CATALOG_MANAGE)
def recall_entry(session: Session, principal: Principal, entry_id: int, note: str = "") -> CatalogEntry:
    """Take a submission back before anyone starts reviewing it."""
    entry = visible_entry(session, entry_id, principal)
    transition(session, principal, PUBLISHING, entry, "recall", org=entry_org(entry), note=note)
    return entry


@service(AUTHENTICATED)  # review or expert review, by kind: each transition checks its own permission
def record_review(session: Session, principal: Principal, entry_id: int, kind: str, conclusion: str,
                  opinion: str = "") -> EntryReview:
    """A15.1: record one review of the current submission. The first review starts the review; a rejection
    sends the entry back to draft with the opinion."""
    entry = visible_entry(session, entry_id, principal)
    org = entry_org(entry)
    expert = kind == ReviewKind.EXPERT
    if entry.status == EntryState.SUBMITTED and not expert:
        transition(session, principal, PUBLISHING, entry, "start_review", org=org)
    transition(session, principal, PUBLISHING, entry, "expert_review" if expert else "review", org=org,
               note=opinion, kind=kind, conclusion=conclusion, round=entry.review_round)
    review = EntryReview(entry_id=entry.id, round=entry.review_round, kind=kind, reviewer_user_id=principal.user_id,
                         reviewer_label=principal.label, conclusion=conclusion, opinion=opinion.strip(),
                         reviewed_at=utcnow())
    session.add(review)
    session.flush()
    if conclusion == Conclusion.REJECT:
        transition(session, principal, PUBLISHING, entry, "expert_reject" if expert else "reject", org=org,
                   note=opinion, kind=kind)
    return review


def _settings_base_url(session: Session) -> str:
    settings = session.info.get("settings")
    if settings is None:
        from kaifang.config import get_settings

        settings = get_settings()
    return settings.base_url.rstrip("/")


def _on_published(session: Session, entry: CatalogEntry) -> None:
    now = utcnow()
    entry.first_published_at = entry.first_published_at or now
    entry.data_updated_at = entry.data_updated_at or now
    entry.updated_at = now
    entry.next_update_due_at = due_for_update(entry)
    if entry.review_due_on is None:
        entry.review_due_on = next_class_review(now, entry.open_class)
    if not entry.citation:
        provider = session.execute(select(Organisation.name)
                                   .where(Organisation.id == entry.provider_org_id)).scalar_one()
        year = entry.first_published_at.astimezone(SHANGHAI).year
        entry.citation = default_citation(provider, entry.name, year,
                                          f"{_settings_base_url(session)}/datasets/{entry.slug}")
    search.index_entry(session, entry)


@service(Permission.CATALOG_PUBLISH)
def publish_entry(session: Session, principal: Principal, entry_id: int, note: str = "") -> CatalogEntry:
    """A15.1: open an entry whose required reviews have all approved it."""
    entry = visible_entry(session, entry_id, principal)
    transition(session, principal, PUBLISHING, entry, "publish", org=entry_org(entry), note=note)
    _on_published(session, entry)
    return entry


@service(Permission.CATALOG_PUBLISH)
def withdraw_entry(session: Session, principal: Principal, entry_id: int, reason: str) -> CatalogEntry:
    """A38.1: take a published entry off the catalog, with the reason."""
    entry = visible_entry(session, entry_id, principal)
    transition(session, principal, PUBLISHING, entry, "withdraw", org=entry_org(entry), note=reason)
    search.remove_entry(session, entry.id)
    return entry


@service(Permission.CATALOG_PUBLISH)
def republish_entry(session: Session, principal: Principal, entry_id: int, note: str = "") -> CatalogEntry:
    """Open a withdrawn entry again unchanged (its reviews still stand; a revised one is reviewed anew)."""
    entry = visible_entry(session, entry_id, principal)
    transition(session, principal, PUBLISHING, entry, "republish", org=entry_org(entry), note=note)
    _on_published(session, entry)
    return entry


@service(Permission.CATALOG_MANAGE)
def revise_entry(session: Session, principal: Principal, entry_id: int, note: str = "") -> CatalogEntry:
    """Turn a withdrawn entry back into a draft, to change what it opens and submit it again."""
    entry = visible_entry(session, entry_id, principal)
    transition(session, principal, PUBLISHING, entry, "revise", org=entry_org(entry), note=note)
    return entry


# --- A16.3 timeliness and popularity --------------------------------------------------------------

@service(Permission.CATALOG_MANAGE)
def mark_data_updated(session: Session, principal: Principal, entry_id: int,
                      at: dt.datetime | None = None) -> CatalogEntry:
    """A16.3: the entry's data was updated (called by the data engine when a version is published)."""
    entry = visible_entry(session, entry_id, principal)
    authorize(principal, Permission.CATALOG_MANAGE, entry_org(entry))
    if entry.status != EntryState.PUBLISHED:
        raise BusinessRuleError("Only a published entry has data updates.")
    before = {"data_updated_at": entry.data_updated_at, "next_update_due_at": entry.next_update_due_at}
    now = utcnow()
    entry.data_updated_at = min(at or now, now)
    entry.updated_at = now
    entry.next_update_due_at = due_for_update(entry)
    record(session, principal, "catalog.data_updated", "catalog_entry", entry.id, before=before,
           after={"data_updated_at": entry.data_updated_at, "next_update_due_at": entry.next_update_due_at})
    return entry


@service(Permission.CATALOG_MANAGE)
def set_data_volume(session: Session, principal: Principal, entry_id: int, *, rows: int,
                    fields: int) -> CatalogEntry:
    """A14.2 data volume (rows, fields), as the data engine measured the entry's latest version."""
    entry = visible_entry(session, entry_id, principal)
    authorize(principal, Permission.CATALOG_MANAGE, entry_org(entry))
    if rows < 0 or fields < 0:
        raise ValueError("a data volume is never negative")
    before = {"row_count": entry.row_count, "field_count": entry.field_count}
    entry.row_count, entry.field_count = rows, fields
    record(session, principal, "catalog.data_volume_set", "catalog_entry", entry.id, before=before,
           after={"row_count": rows, "field_count": fields})
    return entry


def _bump(session: Session, entry_id: int, column: Any) -> None:
    # One UPDATE ... SET n = n + 1: no read, no lost update under concurrency. Counted only for published
    # entries; not audited (statistics, not a change of the catalog; data reads go to the access log).
    session.execute(update(CatalogEntry).where(CatalogEntry.id == entry_id, CatalogEntry.status == EntryState.PUBLISHED)
                    .values({column: column + 1}).execution_options(synchronize_session=False))


@service(PUBLIC)
def record_view(session: Session, principal: Principal, entry_id: int) -> None:
    """Count a visit of the entry's page (popularity, statistics)."""
    _bump(session, entry_id, CatalogEntry.views)


@service(PUBLIC)
def record_download(session: Session, principal: Principal, entry_id: int) -> None:
    """Count a download or API delivery of the entry's data (popularity, statistics)."""
    _bump(session, entry_id, CatalogEntry.downloads)
