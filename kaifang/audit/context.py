"""The request the current work belongs to (request id, client IP), for audit events."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    ip: str | None = None


current_request: ContextVar[RequestContext] = ContextVar("kaifang_request", default=RequestContext())  # noqa: B039 - frozen
