"""The preview on a dataset's page (A9.2): the first rows, sorted by one column and filtered on one, within
the reader's projection. Its decision is also the page's ``Offer`` (what the page links to)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from kaifang.access import Delivery, Offer
from kaifang.datastore.engine import Filter, QueryError, preview
from kaifang.datastore.reading.gate import EngineLimits, open_for_reading
from kaifang.datastore.schema import FieldSpec
from kaifang.errors import Message
from kaifang.security import PUBLIC, Principal, query

PREVIEW_ROWS = 20
ALL_OPERATORS = ("exact", "ne", "gt", "gte", "lt", "lte", "contains", "startswith", "in", "isnull")


@dataclass(frozen=True)
class PreviewRequest:
    """The preview's own query string: ``sort`` (``col`` or ``-col``) and one filter (``col``, ``op``, ``value``)."""

    sort: str = ""
    column: str = ""
    op: str = "exact"
    value: str = ""

    @classmethod
    def from_query(cls, params: QueryParams) -> PreviewRequest:
        op = params.get("op", "exact")
        return cls(sort=params.get("sort", "").strip()[:80], column=params.get("col", "").strip()[:80],
                   op=op if op in ALL_OPERATORS else "exact", value=params.get("value", "")[:500])

    @property
    def filters(self) -> list[Filter]:
        if not self.column or (self.value == "" and self.op != "isnull"):
            return []
        return [Filter(self.column, self.op, self.value or "true")]

    def pairs(self, **changes: str) -> list[tuple[str, str]]:
        values = {"sort": self.sort, "col": self.column if self.filters else "",
                  "op": self.op if self.filters else "", "value": self.value if self.filters else "", **changes}
        return [(k, v) for k, v in values.items() if v]

    def log_text(self) -> str:
        return urlencode(self.pairs())

    def sort_href(self, name: str) -> str:
        """Ascending first; the same header again sorts descending; a third time back to ascending."""
        target = f"-{name}" if self.sort == name else name
        return "?" + urlencode(self.pairs(sort=target)) + "#preview"

    def sort_state(self, name: str) -> str:
        return "ascending" if self.sort == name else "descending" if self.sort == f"-{name}" else "none"


@dataclass
class PreviewAnswer:
    offer: Offer | None  # None only when nothing could be decided
    refused: str | None = None  # msgid: the access decision's reason, or that there is no data yet
    error: Message | None = None  # what is wrong with the reader's sort or filter
    fields: list[FieldSpec] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None


@query(PUBLIC)
def read_preview(session: Session, principal: Principal, entry_id: int, ask: PreviewRequest) -> PreviewAnswer:
    """Decide (the preview delivery, and with it every other: the answer's ``offer``), log, and read the first
    rows. A refusal or a bad sort or filter is part of the answer (the page shows it in place)."""
    outcome = open_for_reading(session, principal, entry_id, Delivery.PREVIEW, "preview", ask.log_text())
    if outcome.readable is None:
        return PreviewAnswer(outcome.offer, refused=outcome.refused)
    readable = outcome.readable
    answer = PreviewAnswer(outcome.offer, fields=readable.projection.visible_fields(readable.schema))
    limits = EngineLimits.of(session)
    try:
        page = preview(readable.path, readable.schema, readable.projection, n=PREVIEW_ROWS, sort=ask.sort or None,
                       filters=ask.filters, timeout_s=limits.timeout_s, memory_limit=limits.memory_limit)
    except QueryError as exc:
        answer.error = exc.as_message()
        return answer
    answer.rows, answer.total = page.rows, page.total
    return answer
