"""A call of a named lookup service (A19.1, A22.1): the rows matching every key field, with the service's fields
that the reader's projection shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from kaifang.access import Delivery
from kaifang.datastore.engine import Filter, build_query, run_records
from kaifang.datastore.lookups import LookupKeysMissing, lookup_service, missing_keys
from kaifang.datastore.reading.gate import EngineLimits, open_for_reading
from kaifang.security import PUBLIC, Principal, query

MAX_ROWS = 20


@dataclass(frozen=True)
class LookupAnswer:
    service: str
    dataset: int
    version: int
    records: list[dict[str, Any]]

    def body(self) -> dict[str, Any]:
        return {"service": self.service, "dataset": self.dataset, "version": self.version, "records": self.records}


@query(PUBLIC)
def read_lookup(session: Session, principal: Principal, name: str, given: Mapping[str, str]) -> LookupAnswer:
    """Raises ``NotFound`` (no such service, or its entry is hidden), ``LookupKeysMissing`` (400, before anything
    is logged), ``DataRefused`` (403) or ``QueryError`` (400)."""
    view = lookup_service(session, principal, name)
    missing = missing_keys(view, given)
    if missing:
        raise LookupKeysMissing(missing)
    filters = [Filter(k, "exact", given[k]) for k in view.key_fields]
    readable = open_for_reading(session, principal, view.entry_id, Delivery.API, f"lookup:{name}",
                                urlencode(sorted(given.items()))).unwrap()
    visible = {f.name for f in readable.projection.visible_fields(readable.schema)}
    q = build_query(readable.schema, readable.projection, filters=filters,
                    fields=[f for f in view.return_fields if f in visible], limit=MAX_ROWS, total="none")
    limits = EngineLimits.of(session)
    page = run_records(readable.path, readable.schema, q, readable.projection, timeout_s=limits.timeout_s,
                       memory_limit=limits.memory_limit)
    return LookupAnswer(name, view.entry_id, readable.version.number, page.rows)
