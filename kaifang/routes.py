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
    "kaifang.access.routes.pages",
    "kaifang.access.routes.console",
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
