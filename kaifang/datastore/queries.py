"""Reads of the datastore's own records: an entry's versions and ingest runs. Reading the data itself goes
through the reading use cases (``kaifang.datastore.reading``), which take the access decision and log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.catalog import EntryState, entry_access_info
from kaifang.datastore.models import DatasetVersion, IngestRun
from kaifang.security import PUBLIC, Permission, Principal, authorize, query


def current_version(session: Session, entry_id: int) -> DatasetVersion | None:
    return session.execute(select(DatasetVersion).where(DatasetVersion.entry_id == entry_id)
                           .order_by(DatasetVersion.number.desc()).limit(1)).scalar_one_or_none()


def numbered_version(session: Session, entry_id: int, number: int) -> DatasetVersion | None:
    return session.execute(select(DatasetVersion).where(
        DatasetVersion.entry_id == entry_id, DatasetVersion.number == number)).scalar_one_or_none()


@query(Permission.CATALOG_READ)
def ingest_runs(session: Session, principal: Principal, entry_id: int, limit: int = 20) -> list[IngestRun]:
    access = entry_access_info(session, entry_id)
    authorize(principal, Permission.CATALOG_READ, access.org, hide=True)
    return list(session.execute(select(IngestRun).where(IngestRun.entry_id == entry_id)
                                .order_by(IngestRun.id.desc()).limit(limit)).scalars())


@query(PUBLIC)
def versions(session: Session, principal: Principal, entry_id: int) -> list[DatasetVersion]:
    """The versions of a published entry, or of an unpublished one the principal's organisation manages."""
    access = entry_access_info(session, entry_id)
    if access.status != EntryState.PUBLISHED:
        authorize(principal, Permission.CATALOG_READ, access.org, hide=True)
    return list(session.execute(select(DatasetVersion).where(DatasetVersion.entry_id == entry_id)
                                .order_by(DatasetVersion.number.desc())).scalars())
