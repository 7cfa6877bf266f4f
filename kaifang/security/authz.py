"""``authorize()`` and the ``@service`` / ``@query`` declarations every public domain function carries."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from kaifang.db import begin_write
from kaifang.errors import NotAuthenticated, NotFound, PermissionDenied
from kaifang.security.permissions import Permission
from kaifang.security.principal import OrgRef, Principal

P = ParamSpec("P")
R = TypeVar("R")

PUBLIC = "public"  # declared on purpose: callable by anyone, including anonymous visitors
AUTHENTICATED = "authenticated"  # any signed-in user, whatever their roles


def authorize(principal: Principal, perm: Permission, org: OrgRef | None = None, *, hide: bool = False) -> None:
    """Raise unless ``principal`` holds ``perm`` reaching ``org``.

    With ``hide=True`` a refusal is a NotFound, so that a caller cannot tell a hidden object from a missing one.
    """
    if principal.can(perm, org):
        return
    if hide:
        raise NotFound()
    if not principal.is_authenticated:
        raise NotAuthenticated()
    raise PermissionDenied()


@contextmanager
def atomic(session: Session) -> Iterator[None]:
    """One unit of work: services called inside it commit together at its end, or not at all. The outermost one
    runs in a transaction of its own that may write (on SQLite ``BEGIN IMMEDIATE``, see ``begin_write``)."""
    depth = session.info.get("service_depth", 0)
    if depth == 0:
        begin_write(session)
    session.info["service_depth"] = depth + 1
    try:
        yield
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info["service_depth"] = depth


def _declare(kind: str, permission: Permission | str, commit: bool) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            session, principal = args[0], args[1]
            assert isinstance(session, Session) and isinstance(principal, Principal), func.__qualname__
            if permission == AUTHENTICATED:
                if not principal.is_authenticated:
                    raise NotAuthenticated()
            elif permission != PUBLIC:
                authorize(principal, Permission(permission))
            if not commit:
                return func(*args, **kwargs)
            with atomic(session):
                return func(*args, **kwargs)

        wrapper.__kaifang_kind__ = kind  # type: ignore[attr-defined]
        wrapper.__kaifang_permission__ = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def service(permission: Permission | str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A write: checks the coarse permission, runs as one transaction, commits (outermost call only)."""
    return _declare("service", permission, commit=True)


def query(permission: Permission | str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A read: checks the coarse permission; finer checks and SQL filters happen inside."""
    return _declare("query", permission, commit=False)
