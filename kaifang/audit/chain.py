"""Appending to and verifying the hash chain (A9.4)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.audit.context import current_request
from kaifang.audit.models import AuditEvent, AuditHead
from kaifang.db import utcnow
from kaifang.security import Principal

GENESIS = "0" * 64
_SECRET_KEYS = {"password", "password_hash", "token", "token_hash", "secret", "api_key", "key_hash"}


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k in _SECRET_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def event_payload(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "occurred_at": ev.occurred_at.isoformat(),
        "actor_id": ev.actor_id,
        "actor_label": ev.actor_label,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "changes": ev.changes,
        "request_id": ev.request_id,
        "ip": ev.ip,
        "prev_hash": ev.prev_hash,
    }


def event_hash(ev: AuditEvent) -> str:
    return hashlib.sha256(canonical_json(event_payload(ev)).encode("utf-8")).hexdigest()


def record(
    session: Session,
    principal: Principal,
    action: str,
    obj_type: str,
    obj_id: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction."""
    session.flush()
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    ctx = current_request.get()
    ev = AuditEvent(
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor_id=principal.user_id,
        actor_label=principal.label,
        action=action,
        object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id),
        changes=canonical_json({"before": _scrub(before), "after": _scrub(after)}),
        request_id=ctx.request_id,
        ip=ctx.ip,
        prev_hash=head.hash,
    )
    ev.hash = event_hash(ev)
    head.seq, head.hash = ev.seq, ev.hash
    session.add(ev)
    session.flush()
    return ev


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    problem: str | None = None


def verify_chain(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order and name the first altered, deleted or reordered event."""
    expected_prev, expected_seq, checked, last_id = GENESIS, 1, 0, None
    while True:
        stmt = select(AuditEvent).order_by(AuditEvent.seq).limit(batch)
        if last_id is not None:
            stmt = stmt.where(AuditEvent.seq > last_id)
        rows = session.execute(stmt).scalars().all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"event {expected_seq} is missing (next is {ev.seq})")
            if ev.prev_hash != expected_prev:
                return VerifyResult(False, checked, ev.seq, f"event {ev.seq} does not follow event {ev.seq - 1}")
            if event_hash(ev) != ev.hash:
                return VerifyResult(False, checked, ev.seq, f"event {ev.seq} was altered after it was written")
            expected_prev, expected_seq, checked = ev.hash, ev.seq + 1, checked + 1
            last_id = ev.seq
        session.expunge_all()
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != expected_prev:
        return VerifyResult(False, checked, checked + 1, f"events after {checked} were deleted (head is {head_seq})")
    return VerifyResult(True, checked)
