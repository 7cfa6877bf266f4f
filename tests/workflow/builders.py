"""One builder per declared workflow, for the generated transition test (test_every_transition.py).

A builder knows how to get an object of its workflow into any state (through the domain's real factories and
services wherever a path exists; ``place()`` otherwise), the organisation its permissions are checked against,
which persona takes each transition, and what each guard needs. Each domain's builders are in
tests/workflow/build_<domain>.py, collected in test_every_transition.py. A new workflow, or a new transition,
needs an entry there: the generated test fails until it has one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from kaifang.config import Settings
from kaifang.security import SYSTEM, OrgRef, Principal
from kaifang.workflow import Workflow
from kaifang.workflow.machine import _moving
from tests.personas import World

# The platform itself (jobs: an agreement taking effect, a period ending) is not a persona of the vocabulary.
PLATFORM = "system"


@dataclass
class Scene:
    """What a builder works with: the test's session and its personas."""

    session: Session
    world: World
    settings: Settings
    tmp_path: Path
    _principals: dict[str, Principal] = field(default_factory=dict)

    def who(self, persona: str) -> Principal:
        if persona == PLATFORM:
            return SYSTEM
        if persona not in self._principals:
            self._principals[persona] = self.world.principal(self.session, persona)
        return self._principals[persona]


@dataclass(frozen=True)
class Move:
    """What the guard of a transition needs: the note and the details passed to ``transition()``."""

    note: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


def no_preparation(_scene: Scene, _obj: Any, _transition: str) -> Move:
    return Move()


@dataclass(frozen=True)
class Builder:
    build: Callable[[Scene, str], Any]  # a new object in the given state
    # The organisation a transition's permission is checked against (as the domain's service passes it).
    org: Callable[[Scene, Any, str], OrgRef]
    actors: Mapping[str, str]  # transition -> the persona who takes it (or PLATFORM)
    ready: Callable[[Scene, Any, str], Move] = no_preparation  # sets up what the guard checks


def place(session: Session, workflow: Workflow, obj: Any, state: str) -> Any:
    """Test only: put ``obj`` in ``state`` without a transition (no history, no audit event), for a state no
    service path reaches cheaply. The machine's own guard against stray assignments is held open for it.
    Committed (inside the test's transaction), so that a refused move rolling back its own work keeps it.
    An object already in ``state`` is left as it is."""
    if getattr(obj, workflow.attribute) == state:
        return obj
    token = _moving.set(id(obj))
    try:
        setattr(obj, workflow.attribute, state)
    finally:
        _moving.reset(token)
    session.commit()
    return obj
