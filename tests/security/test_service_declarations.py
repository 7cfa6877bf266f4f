"""Every public domain function that takes (session, principal) declares its permission."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import kaifang
from kaifang.security import Permission
from kaifang.security.authz import AUTHENTICATED, PUBLIC

# Helpers that take (session, principal) but run inside a declared service's transaction, never on their own.
INTERNAL = {"kaifang.audit.chain.record", "kaifang.events.publish"}


def _domain_functions():
    for info in pkgutil.walk_packages(kaifang.__path__, "kaifang."):
        if ".migrations" in info.name or info.name.endswith(".cli"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj):
                continue
            if getattr(obj, "__module__", None) != module.__name__ and not hasattr(obj, "__wrapped__"):
                continue
            target = inspect.unwrap(obj)
            if target.__module__ != module.__name__:
                continue
            params = list(inspect.signature(target).parameters)
            if params[:2] == ["session", "principal"] and f"{module.__name__}.{name}" not in INTERNAL:
                yield f"{module.__name__}.{name}", obj


def test_every_service_and_query_declares_a_permission():
    functions = dict(_domain_functions())
    assert len(functions) > 20, "the scan found the domain functions"
    undeclared = [n for n, f in functions.items() if not hasattr(f, "__kaifang_permission__")]
    assert undeclared == [], f"declare a permission with @service/@query: {undeclared}"
    for name, func in functions.items():
        perm = func.__kaifang_permission__
        assert perm in (PUBLIC, AUTHENTICATED) or perm in set(Permission), name


def test_public_declarations_are_a_short_reviewed_list():
    public = sorted(n for n, f in _domain_functions() if f.__kaifang_permission__ == PUBLIC)
    assert public == sorted([
        "kaifang.access.policy.grants_for",  # the principal's own grants only
        "kaifang.access.queries.public_sanctions",  # A34.1: only sanctions published on purpose
        "kaifang.access.policy.read_refusal",  # the principal's own sanctions and key binding
        "kaifang.access.queries.results_for_entry",  # A24.2: results of use are shown on dataset pages
        "kaifang.accounts.apikeys.principal_for_key",
        "kaifang.accounts.queries.list_regions",
        "kaifang.accounts.queries.load_principal",
        "kaifang.accounts.services.authenticate",
        "kaifang.accounts.services.register_user",
        "kaifang.accounts.services.request_password_reset",
        "kaifang.accounts.services.reset_password",
        "kaifang.catalog.queries.get_entry",  # hides what the principal may not see (A7.2)
        "kaifang.catalog.search.search_entries",  # published entries only; not-open ones restricted
        "kaifang.catalog.services.record_download",
        "kaifang.catalog.services.record_view",
        "kaifang.datastore.lookups.lookup_service",  # through get_entry: hidden entries stay hidden
        "kaifang.datastore.lookups.lookup_services",
        "kaifang.datastore.queries.versions",
        # The reading use cases: each takes the access decision itself and logs the read (A9.4).
        "kaifang.datastore.reading.download.read_download",
        "kaifang.datastore.reading.gate.open_for_reading",
        "kaifang.datastore.reading.lookup.read_lookup",
        "kaifang.datastore.reading.preview.read_preview",
        "kaifang.datastore.reading.records.read_records",
        "kaifang.workdays.queries.load_calendar",
    ]), "a new PUBLIC function must be reviewed and added here"
