"""Inputs of the access services, and the vocabularies their forms offer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kaifang.access.decision import Delivery

KIND_LABELS = {"dataset": "Dataset", "api": "Data service API"}
DELIVERY_LABELS = {
    Delivery.DOWNLOAD.value: "Download",
    Delivery.API.value: "Data service API",
    Delivery.ANALYSIS.value: "Algorithmic or model analysis results",
}

# A20.2: why the bureau may refuse to accept; it ticks every one that applies (一次性告知).
NOT_ACCEPTED_REASONS = {
    "title_unclear": "The title does not say what the application is for.",
    "reason_insufficient": "The reason for the application is not sufficient.",
    "scenario_unclear": "The application scenario is not described clearly.",
    "fields_excessive": "More data items are asked for than the scenario needs.",
    "period_unreasonable": "The usage period is longer than the purpose needs.",
    "results_unclear": "The form of the results is not described.",
    "attachments_missing": "Supporting documents are missing or unreadable.",
    "identity_unverified": "The applicant's identity or qualification cannot be verified.",
    "other": "Other (see the note).",
}

RESULT_KINDS = {"app": "Application or service", "paper": "Paper", "report": "Research report",
                "patent": "Patent", "software": "Software", "other": "Other"}

REQUEST_OUTCOMES = {"will_open": "The data will be opened (a catalog entry follows)",
                    "exists": "The data is already available (see the answer)",
                    "cannot_open": "The data cannot be opened (reason in the answer)"}

SANCTION_KINDS = {"restrict": "Restrict access to conditional data", "close": "Close all data access"}


@dataclass
class ItemInput:
    entry_id: int
    fields: list[str] = field(default_factory=list)


@dataclass
class ApplicationInput:
    """A20.1: what the applicant fills in. A draft may be incomplete; submission checks every element."""

    title: str = ""
    reason: str = ""
    kind: str = "dataset"
    deliveries: list[str] = field(default_factory=list)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    results_form: str = ""
    scenario: str = ""
    commitment: bool = False
    items: list[ItemInput] = field(default_factory=list)


@dataclass
class ApprovedItem:
    entry_id: int
    fields: list[str]
    row_filter: str = ""


@dataclass
class ApprovalInput:
    """A20.3: what the provider approves: purpose, scope (items, rows, deliveries) and period."""

    purpose: str
    deliveries: list[str]
    period_start: dt.date | None
    period_end: dt.date | None
    items: list[ApprovedItem]
