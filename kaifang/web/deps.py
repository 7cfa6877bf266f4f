"""Route dependencies: the request's database session and principal, and the page number of a list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kaifang.security import ANONYMOUS, NotAuthenticated, Permission, Principal, authorize


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, whatever its method. Its transactions begin deferred, so a route's reads take no
    lock; every service it calls runs in a short write transaction of its own (``atomic``, decisions/0008)."""
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


def get_principal(request: Request) -> Principal:
    return getattr(request.state, "principal", ANONYMOUS)


def require_login(principal: Principal = Depends(get_principal)) -> Principal:
    if not principal.is_authenticated:
        raise NotAuthenticated()
    return principal


def require(perm: Permission):
    """A page guard; the service called by the route checks again, this only gives the early answer."""

    def dependency(principal: Principal = Depends(get_principal)) -> Principal:
        authorize(principal, perm)
        return principal

    return dependency


MAX_PAGE = 100_000


def page_number(page: str = "1") -> int:
    """The ``page`` query parameter of a list: a whole number from 1 to 100,000; 1 when absent or not one (a
    hand-edited address gets the first page, not an error)."""
    page = page.strip()
    return min(int(page), MAX_PAGE) if page.isdecimal() and len(page) < 10 and int(page) > 0 else 1


# A route parameter: ``page: PageNumber``.
PageNumber = Annotated[int, Depends(page_number)]
