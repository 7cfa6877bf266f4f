"""The gate every read of data passes (A9.4, A20.4): the one access decision, taken for every delivery path at
once (the ``Offer``), then the access-log entry of this read, served or refused.

``open_for_reading`` is a service of its own, so that the access-log entry of a refusal is committed even when
the reading service then answers with ``DataRefused``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from kaifang.access import DatasetRef, Delivery, Offer, OpenClass, grants_for, offer, read_refusal
from kaifang.audit import AccessLog, current_request
from kaifang.catalog import EntryAccess, EntryState, entry_access_info
from kaifang.config import Settings
from kaifang.datastore.engine import Projection
from kaifang.datastore.models import DatasetVersion
from kaifang.datastore.queries import current_version, numbered_version
from kaifang.datastore.schema import TableSchema
from kaifang.db import utcnow
from kaifang.errors import PermissionDenied
from kaifang.security import PUBLIC, NotFound, Permission, Principal, service

NO_DATA = "No data has been published for this entry yet."


class DataRefused(PermissionDenied):
    """The access decision said no (403); the msgid is the decision's reason, shown to the reader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


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
    """Either ``readable`` or a ``refused`` msgid, with the ``offer`` the decision came from. Returned, not
    raised, so that the access log of a refusal is committed with everything else."""

    readable: ReadableVersion | None = None
    refused: str | None = None
    offer: Offer | None = None

    def unwrap(self) -> ReadableVersion:
        if self.readable is None:
            raise DataRefused(self.refused or "")
        return self.readable


@dataclass(frozen=True)
class EngineLimits:
    """What one query of the data engine may spend (the settings ``query_timeout_seconds`` and
    ``query_memory_limit``), as keyword arguments of the engine's entry points."""

    timeout_s: float
    memory_limit: str

    @classmethod
    def of(cls, session: Session) -> EngineLimits:
        settings: Settings = session.info["settings"]
        return cls(settings.query_timeout_seconds, settings.query_memory_limit)


def _offer_for(session: Session, principal: Principal, access: EntryAccess) -> Offer:
    """The access decision of ``principal`` on this entry, for every delivery path (access/decision.py)."""
    managed = principal.can(Permission.CATALOG_MANAGE, access.org)
    published = access.status == EntryState.PUBLISHED
    ref = DatasetRef(access.entry_id, OpenClass(access.open_class or OpenClass.NOT_OPEN), published, managed)
    refusal = read_refusal(session, principal, access.entry_id)  # A34.1 closure, a key bound elsewhere (A20.4)
    grants = grants_for(session, principal, access.entry_id) if not refusal else []
    return offer(principal, ref, grants, utcnow(), refusal=refusal)


@service(PUBLIC)
def open_for_reading(session: Session, principal: Principal, entry_id: int, delivery: Delivery, channel: str,
                     query_text: str = "", version_number: int | None = None) -> ReadOutcome:
    """Decide, log, and hand back what the reader may read. Refusals are logged too. An entry the principal
    may not see answers 404, like a missing one."""
    access = entry_access_info(session, entry_id)
    if not (access.status == EntryState.PUBLISHED or principal.can(Permission.CATALOG_READ, access.org)):
        raise NotFound()
    the_offer = _offer_for(session, principal, access)
    decision = the_offer.decision(delivery)
    if version_number is None:
        version = current_version(session, entry_id)
    else:
        version = numbered_version(session, entry_id, version_number)
    _log(session, principal, entry_id, version, channel, decision.grant_id, decision.projection, query_text,
         "served" if decision.allowed and version is not None else "refused")
    if not decision.allowed:
        return ReadOutcome(refused=decision.reason, offer=the_offer)
    if version is None or decision.projection is None:
        return ReadOutcome(refused=NO_DATA, offer=the_offer)
    settings: Settings = session.info["settings"]
    schema = TableSchema.from_json(json.loads(version.schema_json))
    return ReadOutcome(ReadableVersion(entry_id, version, settings.files_dir / version.parquet_path, schema,
                                       decision.projection, decision.grant_id), offer=the_offer)


def _log(session: Session, principal: Principal, entry_id: int, version: DatasetVersion | None, channel: str,
         grant_id: int | None, projection: Projection | None, query_text: str, outcome: str) -> None:
    ctx = current_request.get()
    fields = "" if projection is None else ("*" if projection.columns is None else ",".join(projection.columns))
    session.add(AccessLog(
        at=utcnow(), user_id=principal.user_id, actor_label=principal.label, entry_id=entry_id,
        version_id=version.id if version else None, channel=channel, grant_id=grant_id, fields=fields,
        query=query_text[:2000], rows=None, outcome=outcome, request_id=ctx.request_id, ip=ctx.ip,
    ))
