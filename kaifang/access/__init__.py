"""Conditional access (A20-A24, A34.1) and the one access decision for every data read: what other domains, the
demo and the command line may use.

- the decision (decision.py) and its inputs: ``grants_for`` (the principal's grants on an entry) and
  ``read_refusal`` (a closure or a bound key, before any decision);
- the results of use shown on a dataset's page;
- the services that drive an application, a request or a sanction (the demo uses them, as a person would).
"""

from kaifang.access.decision import (
    NOT_OPEN,
    AccessDecision,
    DatasetRef,
    Delivery,
    GrantScope,
    Offer,
    OpenClass,
    decide,
    offer,
)
from kaifang.access.policy import grants_for, read_refusal
from kaifang.access.queries import my_applications, results_for_entry
from kaifang.access.schemas import (
    RESULT_KINDS,
    ApplicationInput,
    ApprovalInput,
    ApprovedItem,
    ItemInput,
)
from kaifang.access.services import (
    accept_application,
    approve_application,
    impose_sanction,
    lift_sanction,
    run_deadlines,
    save_application,
    sign_agreement,
    submit_application,
    submit_request,
)
from kaifang.access.workflow import APPLICATION, DATA_REQUEST, GRANT, ApplicationState, GrantState, RequestState

__all__ = [
    "APPLICATION", "DATA_REQUEST", "GRANT", "NOT_OPEN", "RESULT_KINDS", "AccessDecision", "ApplicationInput",
    "ApplicationState", "ApprovalInput", "ApprovedItem", "DatasetRef", "Delivery", "GrantScope", "GrantState",
    "ItemInput", "Offer", "OpenClass", "RequestState", "accept_application", "approve_application", "decide",
    "grants_for", "impose_sanction", "lift_sanction", "my_applications", "offer", "read_refusal", "results_for_entry",
    "run_deadlines", "save_application", "sign_agreement", "submit_application", "submit_request",
]
