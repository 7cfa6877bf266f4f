"""The data API's read (A19.1, A22.1): a page of records, or grouped aggregates, of one dataset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from kaifang.access import Delivery
from kaifang.config import Settings
from kaifang.datastore.engine import parse_query, run_records
from kaifang.datastore.reading.aggregate import AggregateAnswer, aggregate
from kaifang.datastore.reading.gate import EngineLimits, open_for_reading
from kaifang.security import PUBLIC, Principal, query


@dataclass(frozen=True)
class RecordsAnswer:
    dataset: int
    version: int
    fields: list[str]
    records: list[dict[str, Any]]
    total: int | None
    total_is_estimate: bool
    next: str | None  # the opaque token of the next page

    def body(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "fields": self.fields, "records": self.records,
                "total": self.total, "total_is_estimate": self.total_is_estimate, "next": self.next}


@query(PUBLIC)
def read_records(session: Session, principal: Principal, entry_id: int,
                 params: Sequence[tuple[str, str]]) -> RecordsAnswer | AggregateAnswer:
    """Decide (the API delivery), log, and run the query string ``params`` (the engine's parameters: filters,
    ``_sort``, ``_fields``, ``_limit``, ``_next``, ``_total``, ``_group_by``, ``_agg``) against the current
    version. Raises ``DataRefused`` (403) or ``QueryError`` (400, a timeout 408)."""
    settings: Settings = session.info["settings"]
    readable = open_for_reading(session, principal, entry_id, Delivery.API, "api", urlencode(params)).unwrap()
    q = parse_query(params, readable.schema, readable.projection, max_limit=settings.api_max_limit,
                    default_limit=settings.api_default_limit)
    limits = EngineLimits.of(session)
    if q.is_aggregate:
        return aggregate(readable, q, limits)
    page = run_records(readable.path, readable.schema, q, readable.projection, timeout_s=limits.timeout_s,
                       memory_limit=limits.memory_limit)
    return RecordsAnswer(entry_id, readable.version.number, page.fields, page.rows, page.total,
                         page.total_is_estimate, page.next_token)
