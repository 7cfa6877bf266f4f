"""The one SQL filter for "the organisations this principal reaches" with a permission (ARCHITECTURE.md:
lists are filtered in SQL). The same rule as ``Principal.can(perm, OrgRef(org_id, region_code))``, for a
whole table at once: a global role reaches every row, a regional role the rows of its region, any other
role the rows of its own organisations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from kaifang.security.permissions import Permission
from kaifang.security.principal import Principal


def reach(principal: Principal, perm: Permission, org_id: Any, region_code: Any = None) -> ColumnElement[bool]:
    """SQL: the rows whose organisation (``org_id`` column) or region (``region_code`` column) ``perm`` reaches
    for ``principal``. ``true()`` when it reaches everything, ``false()`` when it reaches nothing. Without a
    region column, a regional grant reaches nothing by region (only organisations it names)."""
    if principal.reaches_everything(perm):
        return true()
    conds: list[ColumnElement[bool]] = []
    if org_ids := principal.org_ids_for(perm):
        conds.append(org_id.in_(sorted(org_ids)))
    if region_code is not None and (regions := principal.regions_for(perm)):
        conds.append(region_code.in_(sorted(regions)))
    return or_(*conds) if conds else false()
