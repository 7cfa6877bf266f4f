"""The one access decision (A7, A19.1, A20.4, A22.1): may this principal read this dataset, by this delivery
path, and with what projection? The preview, the data API, every download format and the sandbox call it.

``offer()`` takes the same decision for every delivery path at once: what a dataset's page offers this principal
(download links, the data API) is the decision the read behind each link will take, never a second one.

Grants (conditional access, A20–A22) are an input: the conditional-access workflow produces them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from kaifang.datastore.engine.filters import Filter
from kaifang.datastore.engine.projection import Projection
from kaifang.security import Principal


class OpenClass(StrEnum):
    UNCONDITIONAL = "unconditional"  # 无条件开放
    CONDITIONAL = "conditional"  # 有条件开放
    NOT_OPEN = "not_open"  # 不予开放


class Delivery(StrEnum):
    """How data leaves the platform (A22.1)."""

    PREVIEW = "preview"
    API = "api"
    DOWNLOAD = "download"
    ANALYSIS = "analysis"  # algorithmic/model analysis results (sandbox)


@dataclass(frozen=True)
class DatasetRef:
    entry_id: int
    open_class: OpenClass
    published: bool
    # Whether the principal manages this entry (its provider's staff): they may preview an unpublished upload.
    managed_by_principal: bool = False


@dataclass(frozen=True)
class GrantScope:
    """What an approved, signed conditional-access grant allows (A20.4, A21.1)."""

    grant_id: int
    grantee_user_id: int
    entry_id: int
    columns: tuple[str, ...]
    row_filters: tuple[Filter, ...]
    deliveries: frozenset[Delivery]
    starts_at: dt.datetime
    ends_at: dt.datetime
    active: bool = True  # False once suspended, revoked or sanctioned (A34.1)


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    projection: Projection | None = None
    grant_id: int | None = None
    reason: str = ""  # msgid, for a refusal


NOT_PUBLISHED = "This dataset has not been published."
NOT_OPEN = "This dataset is not open: its data is not provided. You may ask for it through a data demand."
NEEDS_GRANT = "This dataset is open on conditions: its data is provided only under an approved application."
WRONG_DELIVERY = "Your approved application does not cover this way of getting the data."


def decide(
    principal: Principal, dataset: DatasetRef, delivery: Delivery, grants: Iterable[GrantScope], now: dt.datetime
) -> AccessDecision:
    if not dataset.published:
        if dataset.managed_by_principal and delivery == Delivery.PREVIEW and dataset.open_class != OpenClass.NOT_OPEN:
            return AccessDecision(True, Projection())
        return AccessDecision(False, reason=NOT_PUBLISHED)
    if dataset.open_class == OpenClass.NOT_OPEN:
        return AccessDecision(False, reason=NOT_OPEN)  # A7.2: never served, whoever asks
    if dataset.open_class == OpenClass.UNCONDITIONAL:
        return AccessDecision(True, Projection())  # A7.4, A19.1
    # A7.3, A20.4: conditional data only to the grantee, within the period, by the granted deliveries.
    if principal.user_id is None:
        return AccessDecision(False, reason=NEEDS_GRANT)
    current = [
        g for g in grants
        if g.grantee_user_id == principal.user_id and g.entry_id == dataset.entry_id and g.active
        and g.starts_at <= now < g.ends_at
    ]
    if not current:
        return AccessDecision(False, reason=NEEDS_GRANT)
    usable = [g for g in current if delivery in g.deliveries]
    if not usable:
        return AccessDecision(False, reason=WRONG_DELIVERY)
    grant = min(usable, key=lambda g: g.grant_id)
    return AccessDecision(True, Projection(columns=grant.columns, row_filters=grant.row_filters), grant.grant_id)


@dataclass(frozen=True)
class Offer:
    """What one principal may get of one dataset, delivery path by delivery path (A7, A20.4, A22.1): for each
    ``Delivery`` the ``AccessDecision`` (open or not, with the projection, or the reason why not)."""

    decisions: Mapping[Delivery, AccessDecision]

    def decision(self, delivery: Delivery) -> AccessDecision:
        return self.decisions[delivery]

    def allows(self, delivery: Delivery) -> bool:
        return self.decisions[delivery].allowed

    @property
    def deliveries(self) -> frozenset[Delivery]:
        """The delivery paths open to the principal."""
        return frozenset(d for d, decision in self.decisions.items() if decision.allowed)


def offer(principal: Principal, dataset: DatasetRef, grants: Iterable[GrantScope], now: dt.datetime, *,
          refusal: str | None = None) -> Offer:
    """``decide`` for every delivery path. ``refusal`` (a msgid) is a refusal that applies before the decision
    whatever the open class (access closed by a sanction, an API key bound to another grant): it closes them all."""
    if refusal:
        return Offer({d: AccessDecision(False, reason=refusal) for d in Delivery})
    scopes = list(grants)
    return Offer({d: decide(principal, dataset, d, scopes, now) for d in Delivery})
