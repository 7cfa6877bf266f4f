"""Inputs of the access services, the forms that carry them, and the vocabularies the forms offer.

The services take the dataclasses (``ApplicationInput``, ``ApprovalInput``); the pages post the pydantic forms
below, parsed by ``kaifang.web.forms.form_of`` (every problem at once, as msgids)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from kaifang.access.agreement import CLAUSES
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
SANCTION_CLOSE = "close"  # a closure by the bureau stops every read, whatever the open class (A34.1)

DEFAULT_REGION = "320500"  # Suzhou: the city bureau routes a request when no district is named

# The approval's own checks, shared by its form and by the service (which never trusts a form).
NO_PURPOSE = "State the approved purpose of use."
NO_DELIVERY = "Choose at least one way of delivering the data."
NO_FIRST_DAY = "Give the first day of the approved period."
NO_LAST_DAY = "Give the last day of the approved period."


# --- what the services take --------------------------------------------------------------------------

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


# --- the forms -----------------------------------------------------------------------------------------

APPLICANT_BAD_DATE = "Enter the date as YYYY-MM-DD."
CONSOLE_BAD_DATE = "This is not a valid date: write it as YYYY-MM-DD."
BAD_ENTRY_NUMBER = "Enter the number of a catalog entry, or leave it empty."


def _date_or_none(msgid: str) -> Callable[[Any], dt.date | None]:
    def parse(value: Any) -> dt.date | None:
        if isinstance(value, dt.date) or value is None:
            return value
        text = str(value).strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(msgid) from None

    return parse


def _number_or_none(value: Any) -> int | None:
    """An id typed or chosen in a form; anything but a whole number is no choice."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _entry_number(value: Any) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) >= 10:
        raise ValueError(BAD_ENTRY_NUMBER)
    return int(text)


ApplicantDate = Annotated[dt.date | None, BeforeValidator(_date_or_none(APPLICANT_BAD_DATE))]
ConsoleDate = Annotated[dt.date | None, BeforeValidator(_date_or_none(CONSOLE_BAD_DATE))]
ChosenId = Annotated[int | None, BeforeValidator(_number_or_none)]
Text = Annotated[str, Field(max_length=8000)]


class ApplicationForm(BaseModel):
    """The A20.1 form (the data items of each dataset come as ``fields_<entry id>``, gathered into ``items``)."""

    title: Text = ""
    reason: Text = ""
    kind: str = "dataset"
    deliveries: list[str] = Field(default_factory=list, max_length=10)
    period_start: ApplicantDate = None
    period_end: ApplicantDate = None
    results_form: Text = ""
    scenario: Text = ""
    commitment: bool = False
    items: list[ItemInput] = Field(default_factory=list, max_length=100)

    @field_validator("kind", mode="before")
    @classmethod
    def _dataset_by_default(cls, value: Any) -> Any:
        return value or "dataset"

    def to_input(self) -> ApplicationInput:
        return ApplicationInput(**{name: getattr(self, name) for name in type(self).model_fields})


class ApprovalForm(BaseModel):
    """The A20.3 form (``fields_<entry id>`` and ``row_filter_<entry id>`` gathered into ``items``). What is
    missing is named at once, with a date that does not parse (the service checks the rest)."""

    model_config = ConfigDict(validate_default=True)

    purpose: Text = ""
    deliveries: list[str] = Field(default_factory=list, max_length=10)
    period_start: ConsoleDate = None
    period_end: ConsoleDate = None
    items: list[ApprovedItem] = Field(default_factory=list, max_length=100)

    @field_validator("purpose")
    @classmethod
    def _purpose_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(NO_PURPOSE)
        return value

    @field_validator("deliveries")
    @classmethod
    def _delivery_chosen(cls, value: list[str]) -> list[str]:
        if not [d for d in value if d]:
            raise ValueError(NO_DELIVERY)
        return value

    @field_validator("period_start", "period_end")
    @classmethod
    def _day_given(cls, value: dt.date | None, info: Any) -> dt.date | None:
        if value is None:
            raise ValueError(NO_FIRST_DAY if info.field_name == "period_start" else NO_LAST_DAY)
        return value

    def to_input(self) -> ApprovalInput:
        return ApprovalInput(self.purpose, self.deliveries, self.period_start, self.period_end, self.items)


class NoteInput(BaseModel):
    """A move with an optional note: accept, withdraw."""

    note: Annotated[str, Field(max_length=4000)] = ""


class NotAcceptInput(BaseModel):
    """A20.2: every reason that applies (checked by the service), and a note."""

    reasons: list[str] = Field(default_factory=list, max_length=20)
    note: Annotated[str, Field(max_length=4000)] = ""


class RefuseInput(BaseModel):
    """A20.3: the reasons and the legal basis (both required: the service says so)."""

    reasons: Text = ""
    legal_basis: Text = ""


class SignInput(BaseModel):
    """A21.1: the SHA-256 of the text the signer was shown, and the side they sign for."""

    sha256: Annotated[str, Field(max_length=100)] = ""
    side: Annotated[str, Field(max_length=20)] = "applicant"


class ReasonInput(BaseModel):
    """A move that states its reason: revoke, decline, lift a sanction."""

    reason: Text = ""


class ResultInput(BaseModel):
    """A24.2: a result of use."""

    kind: Annotated[str, Field(max_length=20)] = ""
    title: Annotated[str, Field(max_length=1000)] = ""
    url: Annotated[str, Field(max_length=2000)] = ""
    description: Text = ""


class KeyInput(BaseModel):
    """A20.4: the API key to bind to a grant (none: unbind every key bound to it)."""

    key_id: ChosenId = None


class RequestInput(BaseModel):
    """A23.1: a request for data outside the catalog."""

    title: Annotated[str, Field(max_length=1000)] = ""
    description: Text = ""
    purpose: Text = ""
    region_code: Annotated[str, Field(max_length=100)] = DEFAULT_REGION


class RouteInput(BaseModel):
    org_id: ChosenId = None
    note: Annotated[str, Field(max_length=4000)] = ""


class AnswerInput(BaseModel):
    outcome: Annotated[str, Field(max_length=20)] = ""
    answer: Text = ""
    entry_id: Annotated[int | None, BeforeValidator(_entry_number)] = None


class SanctionInput(BaseModel):
    """A34.1: the user (by e-mail), the measure, its scope (no provider: the whole platform) and its reason."""

    email: Annotated[str, Field(max_length=254)] = ""
    kind: Annotated[str, Field(max_length=20)] = ""
    reason: Text = ""
    org_id: ChosenId = None
    public: bool = False


class TemplateInput(BaseModel):
    """A21.1: a new version of the agreement template: its title and one text per clause (``clause_<key>``)."""

    title: Annotated[str, Field(max_length=1000)] = ""
    clause_purpose: Text = ""
    clause_scope: Text = ""
    clause_manner: Text = ""
    clause_follow_up: Text = ""
    clause_prohibitions: Text = ""
    clause_credit: Text = ""
    clause_liability: Text = ""
    clause_disputes: Text = ""

    def clauses(self) -> dict[str, str]:
        return {key: getattr(self, f"clause_{key}") for key in CLAUSES}
