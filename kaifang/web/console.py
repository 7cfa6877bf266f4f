"""The console menu: each entry shows only to principals holding its permission."""

from __future__ import annotations

from dataclasses import dataclass

from kaifang.security import Permission, Principal


@dataclass(frozen=True)
class MenuItem:
    href: str
    label: str  # msgid
    permission: Permission


MENU: list[MenuItem] = [
    MenuItem("/console", "Console overview", Permission.CONSOLE_ENTER),
    MenuItem("/console/organisations", "Organisations and staff", Permission.STAFF_READ),
    MenuItem("/console/catalog", "Catalog entries", Permission.CATALOG_READ),
    MenuItem("/console/catalog/reviews", "Reviews waiting", Permission.CATALOG_EXPERT_REVIEW),
    MenuItem("/console/access", "Conditional access", Permission.ACCESS_READ),
    MenuItem("/console/access/requests", "Requests outside the catalog", Permission.ACCESS_READ),
    MenuItem("/console/access/sanctions", "Sanctions", Permission.ACCESS_SANCTION),
    MenuItem("/console/access/template", "Use agreement template", Permission.ACCESS_TEMPLATE),
    MenuItem("/console/audit", "Audit trail", Permission.AUDIT_READ),
    MenuItem("/console/jobs", "Background jobs", Permission.JOBS_READ),
    MenuItem("/console/calendar", "Working-day calendar", Permission.CALENDAR_MANAGE),
]


def console_menu(principal: Principal | None) -> list[MenuItem]:
    if principal is None:
        return []
    return [m for m in MENU if principal.can(m.permission)]
