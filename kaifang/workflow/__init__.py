"""The shared state-machine mechanism every process of the rules uses (ARCHITECTURE.md: Workflows).

A domain declares ``Workflow(name, states, transitions)`` in its ``workflow.py``, calls
``protect_status(Model, WORKFLOW)`` once, and moves objects only with ``transition()``. No other code
sets ``status``.
"""

from kaifang.workflow.machine import (
    ILLEGAL_TRANSITION,
    UNKNOWN_TRANSITION,
    WORKFLOW_MODELS,
    WORKFLOWS,
    Guard,
    IllegalTransition,
    StatusChangedOutsideWorkflow,
    Transition,
    TransitionContext,
    Workflow,
    history,
    protect_status,
    transition,
)
from kaifang.workflow.models import WorkflowHistory

__all__ = [
    "ILLEGAL_TRANSITION", "UNKNOWN_TRANSITION", "WORKFLOWS", "WORKFLOW_MODELS",
    "Guard", "IllegalTransition", "StatusChangedOutsideWorkflow",
    "Transition", "TransitionContext", "Workflow", "WorkflowHistory", "history", "protect_status", "transition",
]
