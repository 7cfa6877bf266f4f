"""The shared state machine: every process of the rules declares a ``Workflow`` and moves through ``transition()``.

A domain declares its states, and a table of transitions naming who may take each (a permission checked
against the object's organisation), an optional guard (a business rule that raises ``BusinessRuleError``)
and an optional deadline in working days. ``transition()`` is then the ONLY code that may change an
object's ``status``: it refuses an illegal move, checks the permission, runs the guard, sets the state,
sets or clears ``due_at``, writes a ``WorkflowHistory`` row and an audit event ``<workflow>.<transition>``,
all in the caller's transaction. ``protect_status()`` makes any other assignment to ``status`` fail
loudly, so the rule cannot be broken by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from kaifang.audit import canonical_json, record
from kaifang.db import utcnow
from kaifang.security import (
    AUTHENTICATED,
    BusinessRuleError,
    NotAuthenticated,
    OrgRef,
    Permission,
    PermissionDenied,
    Principal,
    service,
)
from kaifang.workdays import deadline_for
from kaifang.workflow.models import WorkflowHistory

UNKNOWN_TRANSITION = "This action is not part of the process: %(transition)s."
ILLEGAL_TRANSITION = "This action (%(transition)s) is not possible while the item is in the state “%(state)s”."


@dataclass(frozen=True)
class TransitionContext:
    """What a guard sees: the move being attempted, before anything changes."""

    session: Session
    principal: Principal
    obj: Any
    transition: Transition
    from_state: str
    note: str
    details: Mapping[str, Any]


Guard = Callable[[TransitionContext], None]
Permits = Callable[[Principal, "Permission | str", "OrgRef | None"], bool]


def _permits(principal: Principal, perm: Permission | str, org: OrgRef | None) -> bool:
    return principal.can(Permission(perm), org)


@dataclass(frozen=True)
class Transition:
    name: str
    source: frozenset[str]
    target: str
    permission: Permission | str
    guard: Guard | None = None
    deadline_workdays: int | None = None  # sets ``due_at`` on entering ``target``; None clears it
    label: str = ""  # English msgid for buttons and history; the name when empty
    # A move that leaves the deadline as it is (a reminder or an escalation that stays in its state).
    keeps_due: bool = False

    @property
    def title(self) -> str:
        return self.label or self.name


# Every declared workflow by name, so that tests and documentation can walk them all.
WORKFLOWS: dict[str, Workflow] = {}
# The model each workflow moves (set by ``protect_status``).
WORKFLOW_MODELS: dict[str, type] = {}


@dataclass(frozen=True, eq=False)
class Workflow:
    name: str  # also the audit action prefix: ``<name>.<transition>``
    states: Mapping[str, str]  # state -> English msgid of its label
    transitions: Sequence[Transition]
    initial: str = ""  # the state a new object is created in; the first state when empty
    # How a transition's permission is checked against the object's organisation: the vocabulary's
    # ``Principal.can`` unless a process needs a finer rule.
    permits: Permits = field(default=_permits)
    attribute: str = "status"  # the model's column that holds the state

    def __post_init__(self) -> None:
        names = [t.name for t in self.transitions]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: duplicate transition names")
        for t in self.transitions:
            unknown = (set(t.source) | {t.target}) - set(self.states)
            if unknown:
                raise ValueError(f"{self.name}.{t.name}: unknown states {sorted(unknown)}")
            if t.keeps_due and t.deadline_workdays is not None:
                raise ValueError(f"{self.name}.{t.name}: keeps_due and a new deadline exclude each other")
            if t.deadline_workdays is not None and t.deadline_workdays < 1:
                raise ValueError(f"{self.name}.{t.name}: a deadline is at least one working day")
        if not self.initial:
            object.__setattr__(self, "initial", next(iter(self.states)))
        if self.initial not in self.states:
            raise ValueError(f"{self.name}: unknown initial state {self.initial}")
        WORKFLOWS[self.name] = self

    def get(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def state_label(self, state: str) -> str:
        return self.states.get(state, state)

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        """The msgids of the states and of the transitions, by code: what the ``history`` macro shows."""
        return {"states": {str(k): v for k, v in self.states.items()},
                "transitions": {t.name: t.title for t in self.transitions}}

    def available(self, principal: Principal, state: str, org: OrgRef | None) -> list[Transition]:
        """The transitions this principal may attempt from ``state`` (guards not run): for buttons."""
        return [t for t in self.transitions if state in t.source and self.permits(principal, t.permission, org)]

    def permitted(self, principal: Principal, name: str, org: OrgRef | None) -> Transition:
        """The transition ``name``, if ``principal`` may take it on an object of ``org`` (whatever its state);
        otherwise the refusal ``transition()`` gives. Checked before the state is read, so that a caller without
        the permission learns nothing of it."""
        t = self.get(name)
        if t is None:
            raise BusinessRuleError(UNKNOWN_TRANSITION, transition=name)
        if not self.permits(principal, t.permission, org):
            if not principal.is_authenticated:
                raise NotAuthenticated()
            raise PermissionDenied()
        return t

    def check(self, principal: Principal, state: str, name: str, org: OrgRef | None) -> Transition:
        """May ``principal`` take transition ``name`` from ``state`` on an object of ``org``? Returns the
        transition, or raises exactly what ``transition()`` would raise, without changing anything. Guards are
        not run: they need the object and the session (``transition()`` runs them)."""
        t = self.permitted(principal, name, org)
        if state not in t.source:
            raise IllegalTransition(self, state, t)
        return t


class IllegalTransition(BusinessRuleError):
    """The move is not allowed from the object's current state. ``state`` and ``transition`` are the
    codes; the params carry the msgids of their labels, for the web layer to translate."""

    def __init__(self, workflow: Workflow, state: str, transition: Transition) -> None:
        super().__init__(ILLEGAL_TRANSITION, state=workflow.state_label(state), transition=transition.title)
        self.state = state
        self.transition = transition.name


class StatusChangedOutsideWorkflow(RuntimeError):
    """A programming error: ``status`` was assigned somewhere other than ``transition()``."""


_moving: ContextVar[int | None] = ContextVar("kaifang_workflow_moving", default=None)


def protect_status(model: type, workflow: Workflow) -> None:
    """Refuse any assignment to ``model.status`` outside ``transition()``, except the initial state of a
    new (not yet persistent) object."""

    WORKFLOW_MODELS[workflow.name] = model

    @event.listens_for(getattr(model, workflow.attribute), "set", propagate=True)
    def _only_through_transitions(target: Any, value: Any, _old: Any, _initiator: Any) -> None:
        if _moving.get() == id(target):
            return
        state = sa_inspect(target)
        if (state.transient or state.pending) and value == workflow.initial:
            return
        raise StatusChangedOutsideWorkflow(
            f"{type(target).__name__}.{workflow.attribute} may only change through kaifang.workflow.transition()")


@service(AUTHENTICATED)
def transition(
    session: Session, principal: Principal, workflow: Workflow, obj: Any, name: str, *,
    org: OrgRef | None, note: str = "", **details: Any,
) -> WorkflowHistory:
    """Take transition ``name`` of ``workflow`` on ``obj`` (a model with ``id`` and ``status``, and
    optionally ``due_at``), acting for ``principal`` on an object of organisation ``org``.

    Runs inside the calling service's transaction (``@service`` commits only when called on its own).
    The permission is checked before the state, so that a caller without it learns nothing of the
    object's state. The object's row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL) and its state
    re-read, so two concurrent moves cannot both start from the same state.
    """
    t = workflow.permitted(principal, name, org)  # before the row is locked and its state read
    session.flush()
    session.refresh(obj, attribute_names=[workflow.attribute], with_for_update=True)
    from_state = getattr(obj, workflow.attribute)
    if from_state not in t.source:
        raise IllegalTransition(workflow, from_state, t)
    note = note.strip()
    if t.guard is not None:
        t.guard(TransitionContext(session, principal, obj, t, from_state, note, details))

    now = utcnow()
    token = _moving.set(id(obj))
    try:
        setattr(obj, workflow.attribute, t.target)  # the one place a workflow object's state changes
    finally:
        _moving.reset(token)
    due_at = None
    if t.keeps_due:
        due_at = getattr(obj, "due_at", None)
    elif hasattr(obj, "due_at"):
        due_at = deadline_for(session, now, t.deadline_workdays) if t.deadline_workdays else None
        obj.due_at = due_at
    object_type = type(obj).__tablename__
    row = WorkflowHistory(
        workflow=workflow.name, object_type=object_type, object_id=str(obj.id), from_state=from_state,
        to_state=t.target, transition=t.name, actor_user_id=principal.user_id, actor_label=principal.label,
        note=note, details=canonical_json(details), at=now,
    )
    session.add(row)
    session.flush()
    after = {"status": t.target, "note": note, **details}
    if due_at is not None:
        after["due_at"] = due_at.isoformat()
    record(session, principal, f"{workflow.name}.{t.name}", object_type, obj.id,
           before={"status": from_state}, after=after)
    return row


def history(session: Session, obj: Any) -> list[WorkflowHistory]:
    """Every transition ``obj`` went through, oldest first. Callers check visibility first."""
    stmt = (select(WorkflowHistory)
            .where(WorkflowHistory.object_type == type(obj).__tablename__, WorkflowHistory.object_id == str(obj.id))
            .order_by(WorkflowHistory.id))
    return list(session.execute(stmt).scalars())
