"""Every (source state, transition) pair of every declared workflow, generated from the tables (issue 10, item 7;
ARCHITECTURE.md: Workflows; STYLE.md: "every transition table tested, illegal moves included").

For each pair: the object is built in the source state (tests/workflow/build_<domain>.py); every persona
without the transition's permission is refused and nothing changes; the persona with it takes the
transition, with what its guard needs, and the object is in the target state with one history row and one
audit event ``<workflow>.<transition>`` (before and after), its deadline set, kept or cleared as declared.
For each transition: every state outside its sources is refused, and nothing changes.

A workflow with a model but no builder, or a transition without an actor, fails here: cover it in its
domain's builder module.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

import kaifang
from kaifang.config import Settings
from kaifang.errors import NotAuthenticated, PermissionDenied
from kaifang.workdays import deadline_for
from kaifang.workflow import WORKFLOW_MODELS, WORKFLOWS, IllegalTransition, Workflow, history, transition
from tests.helpers import audit_events
from tests.personas import PERSONAS, World
from tests.workflow import build_access, build_catalog, build_datastore
from tests.workflow.builders import Builder, Move, Scene, place


def _load_every_workflow() -> None:
    """Import every module of kaifang, so that every ``Workflow`` is declared and protected."""
    for module in pkgutil.walk_packages(kaifang.__path__, "kaifang."):
        if not module.name.startswith("kaifang.migrations"):
            importlib.import_module(module.name)


_load_every_workflow()

BUILDERS: dict[str, Builder] = {**build_catalog.BUILDERS, **build_access.BUILDERS, **build_datastore.BUILDERS}
# The workflows of the platform: those that move a model (test-only tables, as in test_machine.py, have none).
PLATFORM_WORKFLOWS = sorted(name for name in WORKFLOWS if name in WORKFLOW_MODELS)

MOVES = [(name, t.name, source) for name in PLATFORM_WORKFLOWS for t in WORKFLOWS[name].transitions
         for source in sorted(t.source)]
TRANSITIONS = [(name, t.name) for name in PLATFORM_WORKFLOWS for t in WORKFLOWS[name].transitions]


@pytest.fixture
def scene(session: Session, world: World, settings: Settings, tmp_path: Path) -> Scene:
    return Scene(session, world, settings, tmp_path)


def _builder(name: str) -> Builder:
    if name not in BUILDERS:
        pytest.fail(f"workflow {name} has no builder: add one to tests/workflow/build_<domain>.py", pytrace=False)
    return BUILDERS[name]


def _actor(builder: Builder, workflow: Workflow, move: str) -> str:
    if move not in builder.actors:
        pytest.fail(f"{workflow.name}.{move} has no actor in its builder", pytrace=False)
    return builder.actors[move]


def _state(workflow: Workflow, part: dict[str, Any]) -> Any:
    """The state in an audit event's before/after (keyed by the state column, or ``status``)."""
    return part.get(workflow.attribute, part.get("status"))


def _trace(scene: Scene, workflow: Workflow, obj: Any, move: str) -> tuple[Any, int, int]:
    """What a refused move must leave as it was: the state as stored, the history rows, the audit events."""
    scene.session.refresh(obj)
    rows = [h for h in history(scene.session, obj) if h.workflow == workflow.name]
    events = audit_events(scene.session, f"{workflow.name}.{move}", object_type=type(obj).__tablename__,
                          object_id=obj.id)
    return getattr(obj, workflow.attribute), len(rows), len(events)


def _take(scene: Scene, workflow: Workflow, obj: Any, move: str, persona: str, org: Any, prepared: Move) -> Any:
    return transition(scene.session, scene.who(persona), workflow, obj, move, org=org, note=prepared.note,
                      **prepared.details)


def test_the_platform_declares_workflows() -> None:
    declared = {"catalog_publishing", "access_application", "access_request", "access_grant", "datastore_ingest"}
    assert declared <= set(PLATFORM_WORKFLOWS)


@pytest.mark.parametrize("name", PLATFORM_WORKFLOWS)
def test_every_workflow_has_a_builder_and_every_transition_an_actor(name: str) -> None:
    builder = _builder(name)
    missing = [t.name for t in WORKFLOWS[name].transitions if t.name not in builder.actors]
    assert not missing, f"{name}: no actor for {missing}"


@pytest.mark.parametrize(("name", "move", "source"), MOVES, ids=[f"{n}.{m}.from_{s}" for n, m, s in MOVES])
def test_each_transition_from_each_source_state(scene: Scene, name: str, move: str, source: str) -> None:
    workflow, builder = WORKFLOWS[name], _builder(name)
    t = workflow.get(move)
    assert t is not None
    actor = _actor(builder, workflow, move)
    obj = builder.build(scene, source)
    assert getattr(obj, workflow.attribute) == source, f"the builder did not reach {source}"
    org = builder.org(scene, obj, move)
    assert workflow.permits(scene.who(actor), t.permission, org), f"{actor} may not take {name}.{move}"
    prepared = builder.ready(scene, obj, move)
    before = _trace(scene, workflow, obj, move)

    refused = [p for p in PERSONAS if not workflow.permits(scene.who(p), t.permission, org)]
    assert refused, "someone must lack the permission (anonymous at least)"
    for persona in refused:
        with pytest.raises((PermissionDenied, NotAuthenticated)):
            _take(scene, workflow, obj, move, persona, org, prepared)
        assert _trace(scene, workflow, obj, move) == before, f"{persona} was refused, yet something changed"

    due_before = getattr(obj, "due_at", None)
    row = _take(scene, workflow, obj, move, actor, org, prepared)
    scene.session.refresh(obj)
    assert getattr(obj, workflow.attribute) == t.target
    rows = [h for h in history(scene.session, obj) if h.workflow == name]
    assert len(rows) == before[1] + 1 and rows[-1].id == row.id, "one history row per transition"
    assert (row.from_state, row.to_state, row.transition) == (source, t.target, move)
    assert row.actor_user_id == scene.who(actor).user_id
    events = audit_events(scene.session, f"{name}.{move}", object_type=type(obj).__tablename__, object_id=obj.id)
    assert len(events) == before[2] + 1, f"no audit event {name}.{move}"
    assert _state(workflow, events[-1].before) == source and _state(workflow, events[-1].after) == t.target
    assert events[-1].actor_id == scene.who(actor).user_id
    if hasattr(obj, "due_at"):
        if t.keeps_due:
            assert obj.due_at == due_before
        elif t.deadline_workdays:
            assert obj.due_at == deadline_for(scene.session, row.at, t.deadline_workdays)
        else:
            assert obj.due_at is None


@pytest.mark.parametrize(("name", "move"), TRANSITIONS, ids=[f"{n}.{m}" for n, m in TRANSITIONS])
def test_each_transition_is_refused_from_every_other_state(scene: Scene, name: str, move: str) -> None:
    workflow, builder = WORKFLOWS[name], _builder(name)
    t = workflow.get(move)
    assert t is not None
    illegal = [state for state in workflow.states if state not in t.source]
    if not illegal:
        pytest.skip(f"{name}.{move} may be taken from every state")
    actor = _actor(builder, workflow, move)
    obj = builder.build(scene, sorted(t.source)[0])
    org = builder.org(scene, obj, move)
    prepared = builder.ready(scene, obj, move)
    for state in illegal:
        place(scene.session, workflow, obj, state)
        before = _trace(scene, workflow, obj, move)
        with pytest.raises(IllegalTransition) as refusal:
            _take(scene, workflow, obj, move, actor, org, prepared)
        assert (refusal.value.state, refusal.value.transition) == (state, move)
        assert _trace(scene, workflow, obj, move) == before, f"{name}.{move} from {state} changed something"
