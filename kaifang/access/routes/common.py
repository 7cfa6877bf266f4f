"""What the route modules of conditional access share: their dependencies, the vocabularies the templates show,
and small display helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from kaifang.access import agreement
from kaifang.access.schemas import (
    DELIVERY_LABELS,
    KIND_LABELS,
    NOT_ACCEPTED_REASONS,
    REQUEST_OUTCOMES,
    RESULT_KINDS,
    SANCTION_KINDS,
)
from kaifang.access.workflow import (
    APPLICATION,
    DATA_REQUEST,
    GRANT_STATE_LABELS,
    REQUEST_STATE_LABELS,
    STATE_LABELS,
    ApplicationState,
)
from kaifang.accounts import list_organisations
from kaifang.clock import LOCAL_TZ
from kaifang.security import Permission, Principal
from kaifang.web.deps import get_db, get_principal, require, require_login

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(get_principal)]
SignedIn = Annotated[Principal, Depends(require_login)]
Reader = Annotated[Principal, Depends(require(Permission.ACCESS_READ))]
Sanctioner = Annotated[Principal, Depends(require(Permission.ACCESS_SANCTION))]
TemplateKeeper = Annotated[Principal, Depends(require(Permission.ACCESS_TEMPLATE))]

ROUND_OUTCOMES = {"accepted": "Accepted for review", "not_accepted": STATE_LABELS[ApplicationState.NOT_ACCEPTED],
                  "withdrawn": "Withdrawn by the applicant", "": "Waiting for the bureau"}
GRANT_STATES = GRANT_STATE_LABELS
SIDES = {"applicant": "Data user (applicant)", "provider": "Data provider"}


def last_day(ends_at: dt.datetime) -> str:
    """A grant ends at 24:00 of the period's last day (Beijing time): show that day."""
    return (ends_at - dt.timedelta(seconds=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%d")


def number(app: Any) -> str:
    return str(app.number)


# What every page of conditional access may show: the labels of each vocabulary, by code.
VOCABULARIES: dict[str, Any] = {
    "state_labels": STATE_LABELS, "request_state_labels": REQUEST_STATE_LABELS, "kind_labels": KIND_LABELS,
    "delivery_labels": DELIVERY_LABELS, "reason_labels": NOT_ACCEPTED_REASONS,
    "not_accepted_reasons": NOT_ACCEPTED_REASONS, "result_kinds": RESULT_KINDS, "request_outcomes": REQUEST_OUTCOMES,
    "sanction_kinds": SANCTION_KINDS, "round_outcomes": ROUND_OUTCOMES, "grant_states": GRANT_STATES, "sides": SIDES,
    "transition_titles": APPLICATION.labels["transitions"], "application_labels": APPLICATION.labels,
    "request_transition_titles": DATA_REQUEST.labels["transitions"], "request_labels": DATA_REQUEST.labels,
    "clauses": agreement.CLAUSES, "placeholders": agreement.PLACEHOLDERS, "number": number, "last_day": last_day,
}


def provider_names(db: Session, principal: Principal) -> dict[int, str]:
    """The provider agencies this person reaches, by id (for names in lists and the routing choice)."""
    return {o.id: o.name for o in list_organisations(db, principal, kind="provider", per_page=200).items}


def rerender_with(page: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
    """``act()``'s ``rerender``: the page again, with the problem, answered 400."""
    return lambda problem: page(*args, problem=problem, status=400)
