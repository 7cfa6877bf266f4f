"""Catalog reads: an entry's page (A17.2), console lists and queues, A16.3 and A8.1 due lists, and what
other domains need (the data items as a ``TableSchema``, the facts of the access decision)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from kaifang.accounts import Organisation, list_organisations, my_organisations, org_ref
from kaifang.catalog.models import CatalogEntry, CatalogFormat, DataItem, EntryReview, OpenClassChange
from kaifang.catalog.rules import missing_fields
from kaifang.catalog.schemas import ClassChangeView, EntryAccess, EntryCard, EntryView
from kaifang.catalog.search import cards
from kaifang.catalog.visibility import (
    entry_org,
    expert_clause,
    internals_clause,
    is_visible,
    reached_clause,
    sees_internals,
    visible_clause,
    visible_entry,
)
from kaifang.catalog.vocabulary import OpenClass
from kaifang.catalog.workflow import PUBLISHING, EntryState
from kaifang.datastore.schema import FieldFormat, FieldSpec, FieldType, TableSchema
from kaifang.db import utcnow
from kaifang.pagination import Page, paginate
from kaifang.security import AUTHENTICATED, PUBLIC, NotFound, Permission, Principal, query
from kaifang.workdays import SHANGHAI
from kaifang.workflow import Transition, WorkflowHistory, history


def item_spec(item: DataItem) -> FieldSpec:
    return FieldSpec(name=item.name, title=item.title, type=FieldType(item.type),
                     format=FieldFormat(item.format) if item.format else None, required=item.required,
                     description=item.description, unit=item.unit, sensitivity=item.sensitivity)


def spec_item(spec: FieldSpec, position: int) -> dict:
    """A ``FieldSpec`` as the values of a ``DataItem`` (or of a ``DataItemInput``)."""
    return {"position": position, "name": spec.name, "title": spec.title, "type": spec.type.value,
            "format": spec.format.value if spec.format else None, "unit": spec.unit,
            "description": spec.description, "sensitivity": spec.sensitivity, "required": spec.required}


def _items(session: Session, entry_id: int) -> list[DataItem]:
    return list(session.execute(select(DataItem).where(DataItem.entry_id == entry_id)
                                .order_by(DataItem.position)).scalars())


def entry_schema(session: Session, entry_id: int) -> TableSchema:
    """The entry's data items as the data engine's ``TableSchema`` (callers check access first)."""
    return TableSchema(tuple(item_spec(i) for i in _items(session, entry_id)))


def entry_access_info(session: Session, entry_id: int) -> EntryAccess:
    """What the access-decision function needs: open class, status, organisation, data items."""
    entry = session.get(CatalogEntry, entry_id)
    if entry is None:
        raise NotFound()
    return EntryAccess(entry.id, entry.open_class, entry.status, entry_org(entry), entry_schema(session, entry.id),
                       entry.name, entry.slug)


def _lookup(session: Session, key: int | str) -> CatalogEntry | None:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return session.get(CatalogEntry, int(key))
    return session.execute(select(CatalogEntry).where(CatalogEntry.slug == key)).scalar_one_or_none()


@query(PUBLIC)
def get_entry(session: Session, principal: Principal, key: int | str) -> EntryView:
    """A17.2: an entry's page, by id or by its stable code. Not-open entries show the public only their name
    and provider (A7.2); entries not yet published exist only for the provider, the bureau and experts."""
    entry = _lookup(session, key)
    if entry is None or not is_visible(principal, entry):
        raise NotFound()
    card = cards(session, [entry], principal)[0]
    if card.restricted:
        return EntryView(card=card)
    changes = session.execute(select(OpenClassChange).where(OpenClassChange.entry_id == entry.id)
                              .order_by(OpenClassChange.at, OpenClassChange.id)).scalars()
    internals = sees_internals(principal, entry)
    return EntryView(
        card=card, citation=entry.citation, open_conditions=entry.open_conditions,
        themes=tuple(json.loads(entry.themes or "[]")), industry=entry.industry, contact_name=entry.contact_name,
        contact_phone=entry.contact_phone, contact_email=entry.contact_email, row_count=entry.row_count,
        field_count=entry.field_count, usage_terms=entry.usage_terms, scenarios=entry.scenarios,
        data_updated_at=entry.data_updated_at, next_update_due_at=entry.next_update_due_at,
        schema=entry_schema(session, entry.id),
        # Who approved is shown to the provider and the bureau; the public sees what changed, when and why.
        class_changes=tuple(ClassChangeView(c.from_class, c.to_class, c.reason,
                                            c.approved_by_label if internals else "", c.at) for c in changes),
        review_due_on=entry.review_due_on if internals else None,
        needs_expert_review=entry.needs_expert_review if internals else None, can_see_internals=internals,
    )


def _page_of_cards(session: Session, principal: Principal, stmt, page: int, per_page: int) -> Page[EntryCard]:
    result = paginate(session, stmt, page, per_page)
    return Page(cards(session, result.items, principal), result.page, result.per_page, result.total)


@query(AUTHENTICATED)
def list_entries(session: Session, principal: Principal, *, org_id: int | None = None, status: str | None = None,
                 open_class: str | None = None, q: str | None = None, page: int = 1,
                 per_page: int = 50) -> Page[EntryCard]:
    """Console list of the entries the principal may see, in every state they may see, filtered in SQL."""
    stmt = select(CatalogEntry).where(visible_clause(principal))
    if org_id is not None:
        stmt = stmt.where(CatalogEntry.provider_org_id == org_id)
    if status:
        stmt = stmt.where(CatalogEntry.status == status)
    if open_class:
        stmt = stmt.where(CatalogEntry.open_class == open_class)
    if q and q.strip():
        stmt = stmt.where(CatalogEntry.name.contains(q.strip()) | (CatalogEntry.slug == q.strip()))
    stmt = stmt.order_by(CatalogEntry.updated_at.desc(), CatalogEntry.id.desc())
    return _page_of_cards(session, principal, stmt, page, per_page)


@query(AUTHENTICATED)
def review_queue(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50) -> Page[EntryCard]:
    """A15.1: the entries waiting for a review the principal may give, oldest change first."""
    reviewable = and_(CatalogEntry.status.in_((EntryState.SUBMITTED, EntryState.UNDER_REVIEW)),
                      reached_clause(principal, Permission.CATALOG_REVIEW))
    stmt = (select(CatalogEntry).where(or_(reviewable, expert_clause(principal)))
            .order_by(CatalogEntry.updated_at, CatalogEntry.id))
    return _page_of_cards(session, principal, stmt, page, per_page)


@query(AUTHENTICATED)
def entry_reviews(session: Session, principal: Principal, entry_id: int) -> list[EntryReview]:
    """A15.1: every review of the entry, of every round, newest round first."""
    entry = visible_entry(session, entry_id, principal)
    if entry.status == EntryState.PUBLISHED and not sees_internals(principal, entry):
        raise NotFound()
    return list(session.execute(select(EntryReview).where(EntryReview.entry_id == entry.id)
                                .order_by(EntryReview.round.desc(), EntryReview.id)).scalars())


@query(AUTHENTICATED)
def entry_history(session: Session, principal: Principal, entry_id: int) -> list[WorkflowHistory]:
    """Every transition of the publishing process the entry went through, oldest first."""
    entry = visible_entry(session, entry_id, principal)
    if not sees_internals(principal, entry) and entry.status == EntryState.PUBLISHED:
        raise NotFound()
    return history(session, entry)


@query(AUTHENTICATED)
def entry_actions(session: Session, principal: Principal, entry_id: int) -> list[Transition]:
    """The publishing transitions the principal may attempt now (their guards may still refuse)."""
    entry = visible_entry(session, entry_id, principal)
    actions = PUBLISHING.available(principal, entry.status, entry_org(entry))
    if not entry.needs_expert_review:
        actions = [t for t in actions if t.name not in ("expert_review", "expert_reject")]
    return actions


@query(Permission.CATALOG_MANAGE)
def entry_checklist(session: Session, principal: Principal, entry_id: int) -> list[str]:
    """A14.2: the label msgids of the required elements the entry still lacks (empty when complete)."""
    entry = visible_entry(session, entry_id, principal)
    formats = session.execute(select(CatalogFormat.format).where(CatalogFormat.entry_id == entry.id)).scalars()
    return missing_fields(entry, _items(session, entry.id), list(formats))


@query(Permission.CATALOG_READ)
def overdue_entries(session: Session, principal: Principal, *, now: dt.datetime | None = None,
                    within: dt.timedelta = dt.timedelta(0)) -> list[EntryCard]:
    """A16.3: published entries the principal oversees whose next update is due before ``now + within``
    (``within`` > 0 lists those due soon, for reminders), most overdue first."""
    limit = (now or utcnow()) + within
    stmt = (select(CatalogEntry)
            .where(internals_clause(principal), CatalogEntry.status == EntryState.PUBLISHED,
                   CatalogEntry.next_update_due_at.is_not(None), CatalogEntry.next_update_due_at < limit)
            .order_by(CatalogEntry.next_update_due_at, CatalogEntry.id))
    return cards(session, list(session.execute(stmt).scalars()), principal)


@query(Permission.CATALOG_READ)
def class_reviews_due(session: Session, principal: Principal, *, on: dt.date | None = None) -> list[EntryCard]:
    """A8.1: not-open and conditional entries the principal oversees whose periodic review is due by ``on``."""
    day = on or utcnow().astimezone(SHANGHAI).date()
    stmt = (select(CatalogEntry)
            .where(internals_clause(principal), CatalogEntry.review_due_on.is_not(None),
                   CatalogEntry.review_due_on <= day,
                   CatalogEntry.open_class.in_((OpenClass.NOT_OPEN, OpenClass.CONDITIONAL)))
            .order_by(CatalogEntry.review_due_on, CatalogEntry.id))
    return cards(session, list(session.execute(stmt).scalars()), principal)


@query(Permission.CATALOG_READ)
def my_catalog_organisations(session: Session, principal: Principal) -> list[Organisation]:
    """The person's own organisations whose catalog they may read (the console list's organisation filter)."""
    return [o for o in my_organisations(session, principal) if principal.can(Permission.CATALOG_READ, org_ref(o))]


@query(Permission.CATALOG_MANAGE)
def entry_providers(session: Session, principal: Principal) -> list[Organisation]:
    """The data providers whose catalog this person may add to (the new entry form's choice)."""
    if principal.reaches_everything(Permission.CATALOG_MANAGE):
        return list_organisations(session, principal, kind="provider", per_page=200).items
    return [o for o in my_organisations(session, principal)
            if o.kind == "provider" and principal.can(Permission.CATALOG_MANAGE, org_ref(o))]
