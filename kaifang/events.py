"""Typed events between domains (docs/decisions/0010-events-between-domains.md).

A domain that must react to something another domain did subscribes to a typed event instead of being called
by it, so that the domain where it happened need not import the one that reacts (which would close an import
cycle). The events are declared here, at the top level, so that publisher and subscriber both depend on this
module and on nothing of each other.

- An event is a frozen dataclass named in the past tense, with ids and values only (never a model object).
- ``publish(session, principal, event)`` runs every subscriber at once, in the order they subscribed, inside
  the publisher's unit of work: a subscriber's refusal fails the publisher's service, so a change and the
  reactions to it commit together or not at all. No queue, no retry: a slow reaction queues a job itself.
- Subscribers are registered explicitly, each domain in its ``subscribers.py`` (``register()``, called from
  the domain's package ``__init__``); ``subscribers_of(Event)`` lists them, for tests and documentation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from kaifang.security import Principal


@dataclass(frozen=True)
class Event:
    """Something that happened in one domain that others may react to."""


@dataclass(frozen=True)
class VersionPublished(Event):
    """A new version of an entry's data was published (datastore: the ingest job, A16.1). The catalog records
    the data volume (A14.2) and, for a published entry, the data update (A16.3)."""

    entry_id: int
    version_id: int
    number: int
    rows: int
    fields: int


@dataclass(frozen=True)
class DatasetDownloaded(Event):
    """A download of an entry's data was served (datastore, A16.2). The catalog counts it (popularity)."""

    entry_id: int
    fmt: str


E = TypeVar("E", bound=Event)
Handler = Callable[[Session, Principal, Any], None]

_SUBSCRIBERS: dict[type[Event], list[Handler]] = {}


def subscribe(event_type: type[E], handler: Callable[[Session, Principal, E], None]) -> None:
    """Call ``handler(session, principal, event)`` for every ``event_type`` published. Subscribing the same
    handler twice is a no-op (a package imported again does not double its reactions)."""
    handlers = _SUBSCRIBERS.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def subscribers_of(event_type: type[Event]) -> tuple[Handler, ...]:
    return tuple(_SUBSCRIBERS.get(event_type, ()))


def publish(session: Session, principal: Principal, event: Event) -> None:
    """Run the subscribers of ``type(event)`` now, in the caller's session and transaction, acting for
    ``principal`` (the one whose action the event reports)."""
    for handler in _SUBSCRIBERS.get(type(event), ()):
        handler(session, principal, event)
