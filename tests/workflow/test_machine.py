"""The shared state-machine mechanism (ARCHITECTURE.md: Workflows), on a tiny workflow over a real model."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.audit.models import AuditEvent
from kaifang.catalog.models import CatalogEntry
from kaifang.security import (
    ANONYMOUS,
    SYSTEM,
    BusinessRuleError,
    NotAuthenticated,
    OrgRef,
    Permission,
    PermissionDenied,
    Principal,
    Role,
    RoleGrant,
)
from kaifang.workdays import deadline_for
from kaifang.workflow import (
    ILLEGAL_TRANSITION,
    UNKNOWN_TRANSITION,
    IllegalTransition,
    StatusChangedOutsideWorkflow,
    Transition,
    TransitionContext,
    Workflow,
    WorkflowHistory,
    history,
    transition,
)
from tests.catalog.factories import CITY, draft, make_org


def _needs_note(ctx: TransitionContext) -> None:
    if not ctx.note:
        raise BusinessRuleError("Please give a note.", field="note")


TINY = Workflow(
    name="tiny",
    states={"draft": "Draft", "checked": "Checked", "done": "Done"},
    transitions=[
        # Staff of the object's organisation hold console:dashboard:read; only the operator orgs:manage.
        Transition("check", frozenset({"draft"}), "checked", Permission.CONSOLE_ENTER, deadline_workdays=5,
                   label="Check"),
        Transition("finish", frozenset({"checked"}), "done", Permission.ORGS_MANAGE, _needs_note),
        Transition("reopen", frozenset({"checked", "done"}), "draft", Permission.CONSOLE_ENTER),
    ],
)


@pytest.fixture
def setup(session: Session):
    org = make_org(session, "苏州市测试局(工作流)")
    other = make_org(session, "昆山市测试局(工作流)", "320583")
    staff = Principal(user_id=7001, label="staff@test.cn",
                      grants=frozenset({RoleGrant(Role.PROVIDER_STAFF, org, CITY)}))
    outsider = Principal(user_id=7002, label="outsider@test.cn",
                         grants=frozenset({RoleGrant(Role.PROVIDER_STAFF, other, "320583")}))
    entry = draft(session, SYSTEM, org)
    return entry, OrgRef(org, CITY), staff, outsider


def _rows(session: Session, entry: CatalogEntry) -> list[WorkflowHistory]:
    return [h for h in history(session, entry) if h.workflow == "tiny"]


def test_a_transition_sets_state_history_audit_and_working_day_deadline(session: Session, setup) -> None:
    entry, org, staff, _ = setup
    row = transition(session, staff, TINY, entry, "check", org=org, note=" looks fine ", reviewer="张三")
    assert entry.status == "checked"
    assert (row.workflow, row.object_type, row.object_id) == ("tiny", "catalog_entry", str(entry.id))
    assert (row.from_state, row.to_state, row.transition) == ("draft", "checked", "check")
    assert (row.actor_user_id, row.actor_label, row.note) == (7001, "staff@test.cn", "looks fine")
    assert json.loads(row.details) == {"reviewer": "张三"}
    # A10.1/A20.3 rule: the deadline is computed by the working-day calendar from the moment of the move.
    assert entry.due_at == deadline_for(session, row.at, 5)
    ev = session.execute(select(AuditEvent).where(AuditEvent.action == "tiny.check")).scalar_one()
    assert ev.object_type == "catalog_entry" and ev.object_id == str(entry.id) and ev.actor_id == 7001
    changes = json.loads(ev.changes)
    assert changes["before"] == {"status": "draft"}
    assert changes["after"]["status"] == "checked" and changes["after"]["reviewer"] == "张三"
    assert changes["after"]["due_at"] == entry.due_at.isoformat()


def test_a_transition_without_deadline_clears_due_at(session: Session, setup) -> None:
    entry, org, staff, _ = setup
    transition(session, staff, TINY, entry, "check", org=org)
    assert entry.due_at is not None
    transition(session, SYSTEM, TINY, entry, "finish", org=org, note="done")
    assert entry.status == "done" and entry.due_at is None
    assert [h.transition for h in _rows(session, entry)] == ["check", "finish"]


def test_unknown_transition_is_refused(session: Session, setup) -> None:
    entry, org, staff, _ = setup
    with pytest.raises(BusinessRuleError) as exc:
        transition(session, staff, TINY, entry, "explode", org=org)
    assert exc.value.message == UNKNOWN_TRANSITION and exc.value.params == {"transition": "explode"}


def test_illegal_move_names_the_state_and_the_transition(session: Session, setup) -> None:
    entry, org, _staff, _ = setup
    with pytest.raises(IllegalTransition) as exc:
        transition(session, SYSTEM, TINY, entry, "finish", org=org, note="too early")
    assert exc.value.message == ILLEGAL_TRANSITION
    assert exc.value.params == {"state": "Draft", "transition": "finish"}
    assert (exc.value.state, exc.value.transition) == ("draft", "finish")
    session.refresh(entry)
    assert entry.status == "draft" and _rows(session, entry) == []


def test_permission_is_checked_against_the_objects_organisation(session: Session, setup) -> None:
    entry, org, staff, outsider = setup
    with pytest.raises(PermissionDenied):
        transition(session, outsider, TINY, entry, "check", org=org)
    with pytest.raises(NotAuthenticated):
        transition(session, ANONYMOUS, TINY, entry, "check", org=org)
    transition(session, staff, TINY, entry, "check", org=org)
    with pytest.raises(PermissionDenied):  # staff do not hold orgs:manage
        transition(session, staff, TINY, entry, "finish", org=org, note="x")
    assert entry.status == "checked"


def test_a_failing_guard_changes_nothing(session: Session, setup) -> None:
    entry, org, staff, _ = setup
    transition(session, staff, TINY, entry, "check", org=org)
    with pytest.raises(BusinessRuleError) as exc:
        transition(session, SYSTEM, TINY, entry, "finish", org=org, note="  ")
    assert exc.value.message == "Please give a note."
    session.refresh(entry)
    assert entry.status == "checked"
    assert [h.transition for h in _rows(session, entry)] == ["check"]


def test_status_changes_only_through_transition(session: Session, setup) -> None:
    entry, _org, _staff, _ = setup
    with pytest.raises(StatusChangedOutsideWorkflow):
        entry.status = "published"
    # A new object may be created in the initial state, and only in it.
    CatalogEntry(status="draft")
    with pytest.raises(StatusChangedOutsideWorkflow):
        CatalogEntry(status="published")


def test_available_transitions_for_buttons(session: Session, setup) -> None:
    _entry, org, staff, outsider = setup
    assert [t.name for t in TINY.available(staff, "checked", org)] == ["reopen"]
    assert [t.name for t in TINY.available(SYSTEM, "checked", org)] == ["finish", "reopen"]
    assert TINY.available(outsider, "draft", org) == []
    assert TINY.get("check").title == "Check" and TINY.get("finish").title == "finish"


def test_a_workflow_declaration_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown states"):
        Workflow("bad", {"a": "A"}, [Transition("go", frozenset({"a"}), "b", Permission.CONSOLE_ENTER)])
    with pytest.raises(ValueError, match="duplicate"):
        Workflow("bad", {"a": "A"}, [Transition("go", frozenset({"a"}), "a", Permission.CONSOLE_ENTER)] * 2)
    with pytest.raises(ValueError, match="working day"):
        Workflow("bad", {"a": "A"}, [Transition("go", frozenset({"a"}), "a", Permission.CONSOLE_ENTER,
                                                deadline_workdays=0)])
    assert Workflow("ok", {"x": "X", "y": "Y"}, []).initial == "x"
