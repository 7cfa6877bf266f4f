"""A grouped read of the data API (A19.1): counts and aggregates per group, asked with ``_group_by``/``_agg`` on
the records endpoint (``read_records`` decides and logs it; this runs it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kaifang.datastore.engine import RecordQuery, run_aggregate
from kaifang.datastore.reading.gate import EngineLimits, ReadableVersion


@dataclass(frozen=True)
class AggregateAnswer:
    dataset: int
    version: int
    fields: list[str]
    groups: list[dict[str, Any]]
    truncated: bool  # more groups exist than the limit let through

    def body(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "fields": self.fields, "groups": self.groups,
                "truncated": self.truncated}


def aggregate(readable: ReadableVersion, query: RecordQuery, limits: EngineLimits) -> AggregateAnswer:
    result = run_aggregate(readable.path, readable.schema, query, readable.projection, timeout_s=limits.timeout_s,
                           memory_limit=limits.memory_limit)
    return AggregateAnswer(readable.entry_id, readable.version.number, result.fields, result.groups, result.truncated)
