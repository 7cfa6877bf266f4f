"""Every write of conditional access, gathered under one name for callers that want it (``services.submit_request``).
The services live in one module per process: applications.py, agreements.py, grants.py, requests.py,
sanctions.py, results.py and deadlines.py."""

from kaifang.access.agreements import current_template, revoke_application, save_template, sign_agreement
from kaifang.access.applications import (
    accept_application,
    add_attachment,
    approve_application,
    not_accept_application,
    refuse_application,
    remove_attachment,
    save_application,
    submit_application,
    withdraw_application,
)
from kaifang.access.deadlines import run_deadlines
from kaifang.access.grants import bind_key_to_grant
from kaifang.access.requests import answer_request, decline_request, route_request, submit_request
from kaifang.access.results import report_result
from kaifang.access.rules import MAX_ATTACHMENT_BYTES, MAX_ITEMS, missing_elements
from kaifang.access.sanctions import impose_sanction, lift_sanction, sanction_by_email

__all__ = [
    "MAX_ATTACHMENT_BYTES", "MAX_ITEMS", "accept_application", "add_attachment", "answer_request",
    "approve_application", "bind_key_to_grant", "current_template", "decline_request", "impose_sanction",
    "lift_sanction", "missing_elements", "not_accept_application", "refuse_application", "remove_attachment",
    "report_result", "revoke_application", "route_request", "run_deadlines", "sanction_by_email", "save_application",
    "save_template", "sign_agreement", "submit_application", "submit_request", "withdraw_application",
]
