"""Every domain's routers, mounted on the one app."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

# Order matters only for readability of the OpenAPI document.
ROUTER_MODULES = [
    "kaifang.web.routes.pages",
    "kaifang.datastore.routes.services_page",
    "kaifang.web.routes.health",
    "kaifang.accounts.routes.pages",
    "kaifang.accounts.routes.console",
    "kaifang.web.routes.console",
    "kaifang.audit.routes.pages",
    "kaifang.tasks.routes.pages",
    "kaifang.workdays.routes.pages",
    "kaifang.datastore.routes.api",
    "kaifang.catalog.routes.pages",
    "kaifang.catalog.routes.console",
    "kaifang.datastore.routes.pages",
    # Conditional access, one module per process. A path with a word (/access/new, /console/access/requests) comes
    # before the same path with an id (/access/{app_id}, /console/access/{app_id}).
    "kaifang.access.routes.application_form",
    "kaifang.access.routes.applications",
    "kaifang.access.routes.requests",
    "kaifang.access.routes.sanctions",
    "kaifang.access.routes.console_requests",
    "kaifang.access.routes.console_template",
    "kaifang.access.routes.console_applications",
    "kaifang.notify.routes.pages",
]


def routers() -> Iterator[APIRouter]:
    for name in ROUTER_MODULES:
        yield importlib.import_module(name).router


def include_all(app: FastAPI) -> None:
    for router in routers():
        app.include_router(router)


def api_routes() -> Iterator[APIRoute]:
    """Every route the app serves from the domain routers (mounted without extra prefixes)."""
    for router in routers():
        for route in router.routes:
            if isinstance(route, APIRoute):
                yield route
