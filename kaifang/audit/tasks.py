"""Periodic check of the audit chain: a broken chain shows as a failed job in the operator's console."""

from __future__ import annotations

from huey import crontab

from kaifang.audit.chain import verify_chain
from kaifang.tasks import JobContext, periodic_job


class AuditChainBroken(RuntimeError):
    pass


# Huey schedules in UTC: 18:30 UTC is 02:30 in Beijing.
@periodic_job("audit.verify_chain", crontab(minute="30", hour="18"))
def verify_chain_nightly(ctx: JobContext) -> int:
    with ctx.read_session() as session:  # reads the whole chain: never hold the writer lock meanwhile
        result = verify_chain(session)
    if not result.ok:
        raise AuditChainBroken(f"audit chain broken at event {result.bad_seq}: {result.problem}")
    return result.checked
