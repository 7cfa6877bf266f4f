"""Who sees which catalog entry (A7.2, A15.1), as a Python check and as the same rule in SQL.

- Published entries: everyone (not-open ones restricted to name and provider, A7.2).
- Every state, everything: the provider's staff and chief data officer, the bureau reaching the
  provider's region, the operator (``catalog:entries:read``).
- Experts (``catalog:entries:expert_review``): entries under review that need their review (A32.1).
A hidden entry answers exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from kaifang.catalog.models import CatalogEntry
from kaifang.catalog.workflow import EntryState
from kaifang.security import NotFound, OrgRef, Permission, Principal, reach


def entry_org(entry: CatalogEntry) -> OrgRef:
    return OrgRef(entry.provider_org_id, entry.region_code)


def sees_internals(principal: Principal, entry: CatalogEntry) -> bool:
    return principal.can(Permission.CATALOG_READ, entry_org(entry))


def _expert_may_see(principal: Principal, entry: CatalogEntry) -> bool:
    return (entry.status == EntryState.UNDER_REVIEW and entry.needs_expert_review
            and principal.can(Permission.CATALOG_EXPERT_REVIEW, entry_org(entry)))


def is_visible(principal: Principal, entry: CatalogEntry) -> bool:
    return entry.status == EntryState.PUBLISHED or sees_internals(principal, entry) or _expert_may_see(principal, entry)


def visible_entry(session: Session, entry_id: int, viewer: Principal) -> CatalogEntry:
    """The entry, or NotFound when it does not exist or is hidden from ``viewer``.

    A helper inside declared services and queries (hence not ``(session, principal, ...)``)."""
    entry = session.get(CatalogEntry, entry_id)
    if entry is None or not is_visible(viewer, entry):
        raise NotFound()
    return entry


def reached_clause(principal: Principal, perm: Permission) -> Any:
    """SQL: the entries of the organisations ``perm`` reaches for ``principal``."""
    return reach(principal, perm, CatalogEntry.provider_org_id, CatalogEntry.region_code)


def internals_clause(principal: Principal) -> Any:
    """SQL: the entries whose every state and field ``principal`` sees."""
    return reached_clause(principal, Permission.CATALOG_READ)


def expert_clause(principal: Principal) -> Any:
    """SQL: the entries under review waiting for an expert review ``principal`` may give (A32.1)."""
    return and_(CatalogEntry.status == EntryState.UNDER_REVIEW, CatalogEntry.needs_expert_review.is_(True),
                reached_clause(principal, Permission.CATALOG_EXPERT_REVIEW))


def visible_clause(principal: Principal) -> Any:
    """SQL: the entries ``principal`` may see at all (the same rule as ``is_visible``)."""
    return or_(CatalogEntry.status == EntryState.PUBLISHED, internals_clause(principal), expert_clause(principal))
