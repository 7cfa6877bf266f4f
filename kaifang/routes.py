"""Every domain's routers, mounted on the one app."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

# Order matters only for readability of the OpenAPI document.
ROUTER_MODULES = [
    "kaifang.web.routes.pages",
    "kaifang.web.routes.health",
    "kaifang.accounts.routes.pages",
    "kaifang.accounts.routes.console",
    "kaifang.web.routes.console",
    "kaifang.audit.routes.pages",
    "kaifang.tasks.routes.pages",
    "kaifang.workdays.routes.pages",
]


def include_all(app: FastAPI) -> None:
    for name in ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        app.include_router(module.router)
