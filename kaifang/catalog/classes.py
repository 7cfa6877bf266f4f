"""A8.1, A8.2: changing an entry's open class, and the periodic review of entries outside the open range.

A change needs a reason and an approver (the provider's chief data officer or the bureau:
``catalog:open_class:change``), is kept in ``catalog_open_class_change`` for ever and shown with the
entry. Not-open and conditional entries get their next periodic review date a year ahead.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.audit import record
from kaifang.catalog import search
from kaifang.catalog.models import CatalogEntry, DataItem, OpenClassChange
from kaifang.catalog.rules import needs_expert_review, next_class_review
from kaifang.catalog.visibility import entry_org, visible_entry
from kaifang.catalog.vocabulary import OpenClass
from kaifang.catalog.workflow import EntryState
from kaifang.db import utcnow
from kaifang.security import BusinessRuleError, Permission, Principal, authorize, service


def _changeable(session: Session, principal: Principal, entry_id: int) -> CatalogEntry:
    entry = visible_entry(session, entry_id, principal)
    authorize(principal, Permission.CATALOG_CLASS_CHANGE, entry_org(entry))
    if entry.status not in (EntryState.PUBLISHED, EntryState.WITHDRAWN):
        raise BusinessRuleError("The open class of a draft is set by editing it, and an entry under review "
                                "keeps its class until the review ends.")
    return entry


def _log(session: Session, principal: Principal, entry: CatalogEntry, from_class: str, reason: str) -> OpenClassChange:
    change = OpenClassChange(entry_id=entry.id, from_class=from_class, to_class=entry.open_class or "",
                             reason=reason, conditions=entry.open_conditions, approved_by_user_id=principal.user_id,
                             approved_by_label=principal.label, at=utcnow())
    session.add(change)
    session.flush()
    return change


@service(Permission.CATALOG_CLASS_CHANGE)
def change_open_class(session: Session, principal: Principal, entry_id: int, to_class: str, reason: str,
                      conditions: str = "") -> OpenClassChange:
    """A8.2: e.g. not open -> open after de-identification or with the right holder's consent, conditional
    -> unconditional once assessed so. Conditions are required for a conditional class (A7.3)."""
    entry = _changeable(session, principal, entry_id)
    reason, conditions = reason.strip(), conditions.strip()
    if to_class not in set(OpenClass):
        raise BusinessRuleError("Unknown open class.", field="to_class")
    if to_class == entry.open_class:
        raise BusinessRuleError("The entry already has this open class.", field="to_class")
    if not reason:
        raise BusinessRuleError("Please give the reason for the change.", field="reason")
    if to_class == OpenClass.CONDITIONAL and not conditions:
        raise BusinessRuleError("Please state the conditions of use of conditionally open data.", field="conditions")
    before = {"open_class": entry.open_class, "open_conditions": entry.open_conditions,
              "review_due_on": entry.review_due_on}
    from_class = entry.open_class or ""
    now = utcnow()
    entry.open_class = to_class
    entry.open_conditions = conditions if to_class == OpenClass.CONDITIONAL else ""
    entry.review_due_on = next_class_review(now, to_class)
    sensitivities = session.execute(select(DataItem.sensitivity).where(DataItem.entry_id == entry.id)).scalars()
    entry.needs_expert_review = needs_expert_review(entry.expert_review_requested, to_class, list(sensitivities))
    entry.updated_at = now
    change = _log(session, principal, entry, from_class, reason)
    search.index_entry(session, entry)
    record(session, principal, "catalog.open_class_changed", "catalog_entry", entry.id, before=before,
           after={"open_class": to_class, "open_conditions": entry.open_conditions, "reason": reason,
                  "review_due_on": entry.review_due_on})
    return change


@service(Permission.CATALOG_CLASS_CHANGE)
def confirm_open_class(session: Session, principal: Principal, entry_id: int, reason: str) -> OpenClassChange:
    """A8.1: the periodic review of a not-open or conditional entry keeps its class: recorded in the class
    history (from = to) with the reason, and the next review is due a year later."""
    entry = _changeable(session, principal, entry_id)
    reason = reason.strip()
    if entry.open_class not in (OpenClass.NOT_OPEN, OpenClass.CONDITIONAL):
        raise BusinessRuleError("Only entries that are not open or conditionally open have periodic reviews.")
    if not reason:
        raise BusinessRuleError("Please give the conclusion of the periodic review.", field="reason")
    before = entry.review_due_on
    entry.review_due_on = next_class_review(utcnow(), entry.open_class)
    change = _log(session, principal, entry, entry.open_class or "", reason)
    record(session, principal, "catalog.open_class_confirmed", "catalog_entry", entry.id,
           before={"review_due_on": before},
           after={"open_class": entry.open_class, "reason": reason, "review_due_on": entry.review_due_on})
    return change
