"""The lifecycle of an ingest run (A9.2, A16.1): an upload being checked and converted by the ingest job.

    queued --start--> running --succeed (the version is published)--> succeeded
      |                 |  ^--start (a retry of the job)
      +--fail-----------+--fail (refused file, or interrupted: the sweep)--> failed

Every move is the system's (the ingest job and the sweep act for the platform): nobody moves a run by hand.
Progress (``IngestRun.progress``) is not a state and is written directly by the job.
"""

from __future__ import annotations

from enum import StrEnum

from kaifang.datastore.models import IngestRun
from kaifang.security import OrgRef, Permission, Principal
from kaifang.workflow import Transition, Workflow, protect_status


class IngestState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


S = IngestState
STATE_LABELS: dict[str, str] = {
    S.QUEUED: "Waiting",
    S.RUNNING: "Checking",
    S.SUCCEEDED: "Published as a new version",
    S.FAILED: "Refused",
}
BUSY = frozenset({S.QUEUED, S.RUNNING})
FINISHED = frozenset({S.SUCCEEDED, S.FAILED})
SYSTEM_ONLY = "system"


def _system_only(principal: Principal, perm: Permission | str, org: OrgRef | None) -> bool:
    return principal.is_system


INGEST = Workflow(
    name="datastore_ingest",
    states=STATE_LABELS,
    initial=S.QUEUED,
    permits=_system_only,
    attribute="state",
    transitions=[
        Transition("start", frozenset(BUSY), S.RUNNING, SYSTEM_ONLY, label="Check started"),
        Transition("succeed", frozenset({S.RUNNING}), S.SUCCEEDED, SYSTEM_ONLY, label="Published as a new version"),
        Transition("fail", frozenset(BUSY), S.FAILED, SYSTEM_ONLY, label="Refused"),
    ],
)

protect_status(IngestRun, INGEST)
