"""Builder for the catalog's publishing workflow (kaifang/catalog/workflow.py)."""

from __future__ import annotations

from typing import Any

from kaifang.catalog import PUBLISHING, publish_entry, record_review, submit_entry, withdraw_entry
from kaifang.security import OrgRef
from kaifang.workflow import transition
from tests.catalog.factories import draft
from tests.personas import Persona
from tests.workflow.builders import Builder, Move, Scene, place

STAFF, CDO, EXPERT = Persona.PROVIDER_STAFF, Persona.PROVIDER_CDO, Persona.EXPERT
# The states the services reach one after the other; any other state is placed.
PATH = ["draft", "submitted", "under_review", "published", "withdrawn"]


def _org(_scene: Scene, entry: Any, _transition: str = "") -> OrgRef:
    return OrgRef(entry.provider_org_id, entry.region_code)


def _approve_all(scene: Scene, entry: Any) -> None:
    """Every review an entry needs, approved (A15.1, A32.1), by the reviewers of the vocabulary."""
    s = scene.session
    record_review(s, scene.who(CDO), entry.id, "privacy", "approve", "未发现个人隐私和商业秘密")
    record_review(s, scene.who(CDO), entry.id, "legality", "approve", "符合法律法规")
    if entry.needs_expert_review:
        record_review(s, scene.who(EXPERT), entry.id, "expert", "approve", "无关联分析风险")


def _entry(scene: Scene, state: str) -> Any:
    """A conditionally open entry of the city provider (so it needs the expert review too), driven into
    ``state`` through the catalog's services."""
    s = scene.session
    entry = draft(s, scene.who(STAFF), scene.world.orgs["agency"], open_class="conditional",
                  open_conditions="仅向经审核同意的利用主体提供。")
    if state not in PATH:
        return place(s, PUBLISHING, entry, state)
    steps = PATH.index(state)
    if steps >= 1:
        submit_entry(s, scene.who(STAFF), entry.id)
    if steps >= 2:
        transition(s, scene.who(CDO), PUBLISHING, entry, "start_review", org=_org(scene, entry))
    if steps >= 3:
        _approve_all(scene, entry)
        publish_entry(s, scene.who(CDO), entry.id)
    if steps >= 4:
        withdraw_entry(s, scene.who(CDO), entry.id, "数据需要更正")
    s.refresh(entry)
    return entry


def _ready(scene: Scene, entry: Any, name: str) -> Move:
    if name == "review":
        return Move(details={"kind": "privacy", "conclusion": "approve"})
    if name == "expert_review":
        return Move(details={"kind": "expert", "conclusion": "approve"})
    if name in ("reject", "expert_reject"):
        return Move(note="请补充数据项的说明")
    if name == "publish":
        _approve_all(scene, entry)
    if name == "withdraw":
        return Move(note="数据需要更正")
    return Move()


BUILDERS = {
    PUBLISHING.name: Builder(
        build=_entry, org=_org, ready=_ready,
        actors={
            "submit": STAFF, "recall": STAFF, "revise": STAFF,
            "start_review": CDO, "review": CDO, "reject": CDO,
            "expert_review": EXPERT, "expert_reject": EXPERT,
            "publish": CDO, "withdraw": CDO, "republish": CDO,
        },
    ),
}
