"""Reading data (A9.2 preview, A19.1/A22.1 API, A16.2 downloads): every path goes through ``open_for_reading``,
which takes the one access decision and writes the access log (A9.4)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.access import AccessDecision, DatasetRef, Delivery, OpenClass, decide
from kaifang.access.queries import grants_for, read_refusal
from kaifang.audit.context import current_request
from kaifang.audit.models import AccessLog
from kaifang.catalog.queries import entry_access_info
from kaifang.config import Settings
from kaifang.datastore.engine import Projection
from kaifang.datastore.models import DatasetVersion, IngestRun
from kaifang.datastore.schema import TableSchema
from kaifang.db import utcnow
from kaifang.security import PUBLIC, NotFound, Permission, Principal, authorize, query, service


class DataRefused(Exception):
    """The access decision said no; ``reason`` is a msgid for the reader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReadableVersion:
    entry_id: int
    version: DatasetVersion
    path: Path
    schema: TableSchema
    projection: Projection
    grant_id: int | None


@dataclass(frozen=True)
class ReadOutcome:
    """Either ``readable`` or a ``refused`` msgid. Returned, not raised, so that the access log of a refusal
    is committed with everything else."""

    readable: ReadableVersion | None = None
    refused: str | None = None

    def unwrap(self) -> ReadableVersion:
        if self.readable is None:
            raise DataRefused(self.refused or "")
        return self.readable


def current_version(session: Session, entry_id: int) -> DatasetVersion | None:
    return session.execute(select(DatasetVersion).where(DatasetVersion.entry_id == entry_id)
                           .order_by(DatasetVersion.number.desc()).limit(1)).scalar_one_or_none()


@service(PUBLIC)
def open_for_reading(session: Session, principal: Principal, entry_id: int, delivery: Delivery, channel: str,
                     query_text: str = "", version_number: int | None = None) -> ReadOutcome:
    """Decide, log, and hand back what the reader may read. Refusals are logged too."""
    access = entry_access_info(session, entry_id)
    if not (access.status == "published" or principal.can(Permission.CATALOG_READ, access.org)):
        raise NotFound()
    managed = principal.can(Permission.CATALOG_MANAGE, access.org)
    ref = DatasetRef(entry_id, OpenClass(access.open_class), access.status == "published", managed)
    refusal = read_refusal(session, principal, entry_id)  # A34.1 closure, a key bound elsewhere (A20.4)
    decision = (AccessDecision(False, reason=refusal) if refusal else
                decide(principal, ref, delivery, grants_for(session, principal, entry_id), utcnow()))
    version = current_version(session, entry_id)
    if version_number is not None:
        version = session.execute(select(DatasetVersion).where(
            DatasetVersion.entry_id == entry_id, DatasetVersion.number == version_number)).scalar_one_or_none()
    _log(session, principal, entry_id, version, channel, decision.grant_id, decision.projection, query_text,
         "served" if decision.allowed and version is not None else "refused")
    if not decision.allowed:
        return ReadOutcome(refused=decision.reason)
    if version is None:
        return ReadOutcome(refused="No data has been published for this entry yet.")
    settings: Settings = session.info["settings"]
    schema = TableSchema.from_json(json.loads(version.schema_json))
    return ReadOutcome(ReadableVersion(entry_id, version, settings.files_dir / version.parquet_path, schema,
                                       decision.projection, decision.grant_id))


def _log(session: Session, principal: Principal, entry_id: int, version: DatasetVersion | None, channel: str,
         grant_id: int | None, projection: Projection | None, query_text: str, outcome: str) -> None:
    ctx = current_request.get()
    fields = "" if projection is None else ("*" if projection.columns is None else ",".join(projection.columns))
    session.add(AccessLog(
        at=utcnow(), user_id=principal.user_id, actor_label=principal.label, entry_id=entry_id,
        version_id=version.id if version else None, channel=channel, grant_id=grant_id, fields=fields,
        query=query_text[:2000], rows=None, outcome=outcome, request_id=ctx.request_id, ip=ctx.ip,
    ))


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
    if access.status != "published":
        authorize(principal, Permission.CATALOG_READ, access.org, hide=True)
    return list(session.execute(select(DatasetVersion).where(DatasetVersion.entry_id == entry_id)
                                .order_by(DatasetVersion.number.desc())).scalars())
