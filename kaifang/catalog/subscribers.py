"""The catalog's reactions to what happens in other domains (kaifang/events.py, decision 0010).

The data engine publishes versions and serves downloads; the catalog keeps the entry's data volume (A14.2),
its data-update dates (A16.3) and its popularity counters. ``register()`` is called once, from the package's
``__init__``, so that the reactions are in place wherever the catalog is loaded (web process, worker, command
line, tests).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kaifang.catalog.queries import entry_access_info
from kaifang.catalog.services import mark_data_updated, record_download, set_data_volume
from kaifang.catalog.workflow import EntryState
from kaifang.events import DatasetDownloaded, VersionPublished, subscribe
from kaifang.security import Principal


def _on_version_published(session: Session, principal: Principal, event: VersionPublished) -> None:
    """A14.2 data volume, and A16.3: a published entry's data was updated now (its next due date follows)."""
    set_data_volume(session, principal, event.entry_id, rows=event.rows, fields=event.fields)
    if entry_access_info(session, event.entry_id).status == EntryState.PUBLISHED:
        mark_data_updated(session, principal, event.entry_id)


def _on_dataset_downloaded(session: Session, principal: Principal, event: DatasetDownloaded) -> None:
    record_download(session, principal, event.entry_id)


def register() -> None:
    subscribe(VersionPublished, _on_version_published)
    subscribe(DatasetDownloaded, _on_dataset_downloaded)
