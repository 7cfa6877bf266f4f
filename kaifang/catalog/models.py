"""Catalog entries (A14), their data items, tags and formats, reviews (A15.1) and open-class changes (A8).

No relationships: queries join explicitly, so nothing loads lazily behind a template's back.
``status`` belongs to the publishing workflow (kaifang/catalog/workflow.py): only
``kaifang.workflow.transition()`` changes it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kaifang.db import Base, UTCDateTime


class CatalogEntry(Base):
    """One entry of the open catalog of the city or of a county-level unit (A14.1, A14.2)."""

    __tablename__ = "catalog_entry"
    __table_args__ = (UniqueConstraint("provider_org_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A17.2: the stable code of the dataset's shareable page, ``SZ-<org>-<n>``; never changes.
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    seq: Mapped[int] = mapped_column(Integer)  # <n>: per provider, from 1
    name: Mapped[str] = mapped_column(String(200), default="")  # 目录名称
    summary: Mapped[str] = mapped_column(Text, default="")
    domain: Mapped[str | None] = mapped_column(String(30), index=True)  # A17.1 priority domain code
    themes: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of free themes
    industry: Mapped[str] = mapped_column(String(100), default="")
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)  # 开放主体
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)  # city or district catalog
    open_class: Mapped[str | None] = mapped_column(String(20), index=True)  # 开放属性 (A7.1)
    open_conditions: Mapped[str] = mapped_column(Text, default="")  # A7.3, required when conditional
    data_type: Mapped[str | None] = mapped_column(String(10))  # 数据类型: file | table | api
    update_frequency: Mapped[str | None] = mapped_column(String(20), index=True)  # 更新频率
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    row_count: Mapped[int | None] = mapped_column(BigInteger)  # data volume: rows (as declared or ingested)
    field_count: Mapped[int] = mapped_column(Integer, default=0)  # data volume: fields (= data items)
    usage_terms: Mapped[str] = mapped_column(Text, default="")
    scenarios: Mapped[str] = mapped_column(Text, default="")  # application scenarios
    citation: Mapped[str] = mapped_column(Text, default="")  # A24.1; a default is generated on publication
    # Publishing workflow.
    status: Mapped[str] = mapped_column(String(20), index=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_round: Mapped[int] = mapped_column(Integer, default=0)  # bumped on each submission (A15.1)
    submitted_by_user_id: Mapped[int | None] = mapped_column(Integer)  # the four-eyes rule on reviews
    expert_review_requested: Mapped[bool] = mapped_column(Boolean, default=False)  # asked for by the provider
    needs_expert_review: Mapped[bool] = mapped_column(Boolean, default=False)  # A32.1, derived on every save
    # Dates.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)  # last change (data or entry)
    first_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    data_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # A16.3 last data update
    next_update_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)  # A16.3
    review_due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)  # A8.1 next periodic class review
    # Popularity (statistics, "popular" sort).
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)


class DataItem(Base):
    """One data item of an entry (A14.2 完整数据项): convertible to ``datastore.schema.FieldSpec``."""

    __tablename__ = "catalog_data_item"
    __table_args__ = (UniqueConstraint("entry_id", "name"), UniqueConstraint("entry_id", "position"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(63), default="")  # machine name (FIELD_NAME)
    title: Mapped[str] = mapped_column(String(100), default="")  # 中文名称
    type: Mapped[str] = mapped_column(String(20), default="")  # FieldType
    format: Mapped[str | None] = mapped_column(String(20))  # FieldFormat
    unit: Mapped[str] = mapped_column(String(30), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # meaning
    sensitivity: Mapped[str] = mapped_column(String(20), default="public")  # public | internal | sensitive
    required: Mapped[bool] = mapped_column(Boolean, default=False)


class CatalogTag(Base):
    """Free keywords of an entry, one row each so the tag facet is a GROUP BY."""

    __tablename__ = "catalog_tag"

    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class CatalogFormat(Base):
    """The formats an entry is offered in (A14.2 数据格式, A16.2), one row each for the format facet."""

    __tablename__ = "catalog_format"

    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class EntryReview(Base):
    """A15.1: one review of one submission round: who, which kind, the conclusion and the opinion."""

    __tablename__ = "catalog_entry_review"
    __table_args__ = (UniqueConstraint("entry_id", "round", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # privacy | legality | expert
    reviewer_user_id: Mapped[int | None] = mapped_column(Integer)
    reviewer_label: Mapped[str] = mapped_column(String(200))
    conclusion: Mapped[str] = mapped_column(String(10))  # approve | reject
    opinion: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class OpenClassChange(Base):
    """A8.1, A8.2: each change of an entry's open class (or confirmation at its periodic review,
    when ``from_class == to_class``), with its reason and approver. Kept for ever and shown."""

    __tablename__ = "catalog_open_class_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id", ondelete="CASCADE"), index=True)
    from_class: Mapped[str] = mapped_column(String(20))
    to_class: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    conditions: Mapped[str] = mapped_column(Text, default="")  # the conditions in force after the change
    approved_by_user_id: Mapped[int | None] = mapped_column(Integer)
    approved_by_label: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
