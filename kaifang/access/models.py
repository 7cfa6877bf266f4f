"""Conditional access (A20-A24, A34): applications and their acceptance rounds, the datasets and fields each asks
for, attachments, the use agreement and its signatures, the grants that result, out-of-catalog requests,
results of use and sanctions (notifications are kaifang/notify's).

No relationships: queries join explicitly. ``status`` of an application or a request, and ``state`` of a grant,
belong to their workflows (kaifang/access/workflow.py): only ``kaifang.workflow.transition()`` changes them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kaifang.clock import LOCAL_TZ
from kaifang.db import Base, UTCDateTime


class AccessApplication(Base):
    """A20.1: one application for conditionally open data, from one user to one provider."""

    __tablename__ = "access_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    applicant_label: Mapped[str] = mapped_column(String(200))  # person or company name, for queues
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # the provider's: whose bureau accepts
    title: Mapped[str] = mapped_column(String(200), default="")  # 申请标题
    reason: Mapped[str] = mapped_column(Text, default="")  # 事由
    kind: Mapped[str] = mapped_column(String(10), default="dataset")  # dataset | api (申请类型)
    deliveries: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of Delivery values asked for
    period_start: Mapped[dt.date | None] = mapped_column(Date)  # 使用期限
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    results_form: Mapped[str] = mapped_column(Text, default="")  # 成果形式
    scenario: Mapped[str] = mapped_column(Text, default="")  # 应用场景
    commitment: Mapped[bool] = mapped_column(Boolean, default=False)  # truth, compliance and security
    # Workflow.
    status: Mapped[str] = mapped_column(String(20), index=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    round: Mapped[int] = mapped_column(Integer, default=0)  # acceptance round, bumped on each submission
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # last reminder before due_at
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # overdue: flagged to the bureau
    # A20.3: the provider's decision.
    approved_purpose: Mapped[str] = mapped_column(Text, default="")
    approved_deliveries: Mapped[str] = mapped_column(Text, default="[]")
    approved_start: Mapped[dt.date | None] = mapped_column(Date)
    approved_end: Mapped[dt.date | None] = mapped_column(Date)
    refusal_reasons: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    decided_by_label: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def number(self) -> str:
        """The application number people quote: ``SQ``, the year it was made (Beijing time), the id."""
        return f"SQ{self.created_at.astimezone(LOCAL_TZ):%Y}{self.id:06d}"


class ApplicationItem(Base):
    """One dataset of an application: the data items asked for, and (on approval) those granted and the row
    filter, expressed in the data API's filter syntax on the data items."""

    __tablename__ = "access_application_item"
    __table_args__ = (UniqueConstraint("application_id", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("access_application.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    fields: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of data item names asked for
    approved_fields: Mapped[str] = mapped_column(Text, default="[]")
    row_filter: Mapped[str] = mapped_column(Text, default="")  # e.g. ``district=昆山市&employees__gte=10``


class ApplicationAttachment(Base):
    """A supporting document of an application (A20.1), stored under the files folder; checked type and size."""

    __tablename__ = "access_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("access_application.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))  # relative to the files folder
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AcceptanceRound(Base):
    """A20.2: one submission and the bureau's answer to it. A refusal lists every reason at once (一次性告知);
    the applicant corrects and submits again, which opens the next round. ``snapshot`` freezes what was
    submitted."""

    __tablename__ = "access_acceptance_round"
    __table_args__ = (UniqueConstraint("application_id", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("access_application.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    snapshot: Mapped[str] = mapped_column(Text)  # canonical JSON of the application as submitted
    outcome: Mapped[str | None] = mapped_column(String(20))  # accepted | not_accepted | withdrawn
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of reason codes
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_label: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AgreementTemplate(Base):
    """A21.1: the operator's template of the use agreement (公共数据利用协议), one text per clause. Versions are
    kept: an agreement records the version it was made from."""

    __tablename__ = "access_agreement_template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    clauses: Mapped[str] = mapped_column(Text)  # JSON object: clause key -> text (with {placeholders})
    created_by_label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class UseAgreement(Base):
    """A21.1: the agreement of one approved application: its exact text and that text's SHA-256."""

    __tablename__ = "access_agreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("access_application.id", ondelete="CASCADE"),
                                                unique=True)
    template_version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    in_force_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # when the second side signed


class AgreementSignature(Base):
    """One side's signature: who, when, and the SHA-256 of the exact text they signed."""

    __tablename__ = "access_agreement_signature"
    __table_args__ = (UniqueConstraint("agreement_id", "side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("access_agreement.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(10))  # applicant | provider
    user_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    org_name: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Grant(Base):
    """A20.4, A22.1: what a signed agreement lets its applicant read of one dataset: the data items, the rows,
    the delivery paths, the period. ``state`` (the workflow ``access_grant``) is active, suspended (a sanction),
    revoked or expired."""

    __tablename__ = "access_grant"
    __table_args__ = (UniqueConstraint("application_id", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("access_application.id"), index=True)
    grantee_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    columns: Mapped[str] = mapped_column(Text)  # JSON list
    row_filter: Mapped[str] = mapped_column(Text, default="")
    deliveries: Mapped[str] = mapped_column(Text)  # JSON list of Delivery values
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(20), default="active", index=True)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    state_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class DataRequest(Base):
    """A23.1: a request for data that is not in the catalog. The bureau routes it to an agency, which answers
    within 10 working days (and may open a new catalog entry)."""

    __tablename__ = "access_data_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    requester_label: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)  # what data, which fields, which period
    purpose: Mapped[str] = mapped_column(Text, default="")
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # whose bureau routes it
    routed_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # will_open | exists | cannot_open
    answer: Mapped[str] = mapped_column(Text, default="")
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entry.id"))  # the entry it led to
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # overdue: flagged to the bureau
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class UseResult(Base):
    """A24.2: a result of use (app, paper, report...) that a grantee reports against their application."""

    __tablename__ = "access_use_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("access_application.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # app | paper | report | patent | software | other
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Sanction(Base):
    """A34.1: the bureau (platform-wide, ``org_id`` None) or a provider (its own data) restricts or closes a
    user's access. While in force: the user's grants in scope read nothing; a closure by the bureau also stops
    every API key and every read of data by the user. ``public`` publishes the notice on the platform."""

    __tablename__ = "access_sanction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    user_label: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)  # provider scope
    kind: Mapped[str] = mapped_column(String(10))  # restrict | close
    reason: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    imposed_by_label: Mapped[str] = mapped_column(String(200))
    imposed_by_org_name: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lift_reason: Mapped[str] = mapped_column(Text, default="")
