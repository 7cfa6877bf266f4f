"""Inputs of the catalog services (routes build them from forms or JSON) and the views queries return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from markupsafe import Markup
from pydantic import BaseModel, Field

from kaifang.datastore.schema import TableSchema
from kaifang.security import OrgRef


class DataItemInput(BaseModel):
    """One data item (A14.2 完整数据项): machine name, Chinese name, type and meaning at least."""

    name: str = Field(default="", max_length=63)
    title: str = Field(default="", max_length=100)
    type: str = Field(default="string", max_length=20)
    format: str | None = Field(default=None, max_length=20)
    unit: str = Field(default="", max_length=30)
    description: str = Field(default="", max_length=2000)
    sensitivity: str = Field(default="public", max_length=20)
    required: bool = False


class EntryDetailsInput(BaseModel):
    """The descriptive part of an entry: changeable while published, without a new review."""

    summary: str = Field(default="", max_length=4000)
    themes: list[str] = Field(default_factory=list, max_length=20)
    industry: str = Field(default="", max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=30)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=30)
    contact_email: str = Field(default="", max_length=254)
    row_count: int | None = Field(default=None, ge=0)
    usage_terms: str = Field(default="", max_length=4000)
    scenarios: str = Field(default="", max_length=4000)
    citation: str = Field(default="", max_length=1000)


class EntryInput(EntryDetailsInput):
    """A whole draft entry. A draft may be incomplete; submission checks completeness (A14.2)."""

    name: str = Field(default="", max_length=200)
    domain: str | None = Field(default=None, max_length=30)
    open_class: str | None = Field(default=None, max_length=20)
    open_conditions: str = Field(default="", max_length=4000)
    data_type: str | None = Field(default=None, max_length=10)
    formats: list[str] = Field(default_factory=list, max_length=10)
    update_frequency: str | None = Field(default=None, max_length=20)
    expert_review_requested: bool = False
    items: list[DataItemInput] = Field(default_factory=list, max_length=500)


# --- the publishing moves of the console (each form posts one of these) ----------------------------

class NoteInput(BaseModel):
    """A move with an optional note: submit, recall, publish, republish, revise."""

    note: str = Field(default="", max_length=2000)


class ReviewInput(BaseModel):
    """A15.1: one review; the kind, the conclusion and the opinion are checked by the workflow's guards."""

    kind: str = Field(default="", max_length=20)
    conclusion: str = Field(default="", max_length=10)
    opinion: str = Field(default="", max_length=4000)


class WithdrawInput(BaseModel):
    """A38.1: the reason is required (the workflow's guard says so)."""

    reason: str = Field(default="", max_length=2000)


class ClassChangeInput(BaseModel):
    """A8.2: the new open class, the reason, and the conditions of a conditional class."""

    to_class: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=2000)
    conditions: str = Field(default="", max_length=4000)


@dataclass(frozen=True)
class EntryAccess:
    """What the access-decision function needs to know about an entry (ARCHITECTURE.md: Access to data)."""

    entry_id: int
    open_class: str | None
    status: str
    org: OrgRef
    schema: TableSchema
    name: str = ""  # what a grant or an application calls the dataset, whatever its state now
    slug: str = ""


@dataclass(frozen=True)
class EntryCard:
    """An entry as lists and search results show it. ``restricted`` (A7.2, not-open entries seen by the
    public): only the name and provider are filled; everything else is empty."""

    id: int
    slug: str
    name: str
    provider_id: int
    provider_name: str
    region_code: str
    open_class: str | None
    status: str
    restricted: bool
    domain: str | None = None
    summary: str = ""
    data_type: str | None = None
    update_frequency: str | None = None
    formats: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    updated_at: dt.datetime | None = None
    first_published_at: dt.datetime | None = None
    views: int = 0
    downloads: int = 0


@dataclass(frozen=True)
class ClassChangeView:
    from_class: str
    to_class: str
    reason: str
    approved_by: str
    at: dt.datetime


@dataclass(frozen=True)
class EntryView:
    """One entry's page (A17.2 stable page). Restricted views (A7.2) carry no items, schema or details."""

    card: EntryCard
    citation: str = ""
    open_conditions: str = ""
    themes: tuple[str, ...] = ()
    industry: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    row_count: int | None = None
    field_count: int = 0
    usage_terms: str = ""
    scenarios: str = ""
    data_updated_at: dt.datetime | None = None
    next_update_due_at: dt.datetime | None = None
    schema: TableSchema = field(default_factory=TableSchema)
    class_changes: tuple[ClassChangeView, ...] = ()  # A8.2: shown with the entry
    # For the provider and the bureau only (None for everyone else):
    review_due_on: dt.date | None = None
    needs_expert_review: bool | None = None
    can_see_internals: bool = False


FacetValue = tuple[str, str, int]  # (value, label msgid or proper name, count)


@dataclass(frozen=True)
class SearchResult:
    items: list[EntryCard]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]]
    highlights: dict[int, tuple[Markup, Markup]]  # entry id -> (title_html, summary_html)
    query_terms: tuple[str, ...] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
