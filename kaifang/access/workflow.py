"""The conditional-access process (A20.1-A21.1) and the out-of-catalog request process (A23.1).

Application::

    draft --submit--> submitted --accept (bureau; 10 working days start)--> accepted
      |                 |  \\--not_accept (bureau, every reason at once)--> not_accepted --resubmit--> submitted
      |                 |                                                      |
      +--withdraw-------+--withdraw--------------------------------------------+
    accepted --approve (provider: purpose, scope, period)--> approved --sign_* (both sides)--> approved
    accepted --refuse (provider: reasons and legal basis)--> refused
    approved --take_effect (the system, once both have signed)--> in_force
    in_force --expire (the system, period over)--> expired
    in_force --revoke (the provider or the bureau, with a reason)--> revoked

Who: the applicant submits, corrects, withdraws and signs (checked by the guards: it is their application);
the bureau reaching the provider's region accepts (access:applications:accept); the provider's staff review
and sign for the agency (access:applications:review). Nobody else moves an application.

Out-of-catalog request::

    submitted --route (bureau; 10 working days start)--> routed --answer (the agency)--> answered
    submitted --decline (bureau, with the reason)--> declined
"""

from __future__ import annotations

from kaifang.access.models import AccessApplication, DataRequest
from kaifang.security import BusinessRuleError, OrgRef, Permission, Principal
from kaifang.workflow import Transition, TransitionContext, Workflow, protect_status

REVIEW_WORKDAYS = 10  # A20.3
REQUEST_WORKDAYS = 10  # A23.1

DRAFT, SUBMITTED, NOT_ACCEPTED, ACCEPTED = "draft", "submitted", "not_accepted", "accepted"
APPROVED, REFUSED, IN_FORCE, EXPIRED, REVOKED, WITHDRAWN = (
    "approved", "refused", "in_force", "expired", "revoked", "withdrawn")

STATE_LABELS = {
    DRAFT: "Draft",
    SUBMITTED: "Waiting for acceptance",
    NOT_ACCEPTED: "Not accepted",
    ACCEPTED: "Accepted, under review",
    APPROVED: "Approved, awaiting signatures",
    REFUSED: "Refused",
    IN_FORCE: "In force",
    EXPIRED: "Expired",
    REVOKED: "Revoked",
    WITHDRAWN: "Withdrawn by the applicant",
}

# Applicant-side moves carry this pseudo-permission: any signed-in user may attempt them, and the guard
# checks that the application is theirs. ``take_effect`` and ``expire`` are the system's alone.
APPLICANT = "applicant"
SYSTEM_ONLY = "system"


def _permits(principal: Principal, perm: Permission | str, org: OrgRef | None) -> bool:
    if perm == APPLICANT:
        return principal.user_id is not None
    if perm == SYSTEM_ONLY:
        return principal.is_system
    return principal.can(Permission(perm), org)


def _is_applicant(ctx: TransitionContext) -> None:
    if ctx.principal.user_id != ctx.obj.applicant_user_id:
        raise BusinessRuleError("Only the applicant may do this.")


def _reason_given(ctx: TransitionContext) -> None:
    if not ctx.note:
        raise BusinessRuleError("Please give the reason.", field="reason")


ACCEPT, REVIEW = Permission.ACCESS_ACCEPT, Permission.ACCESS_REVIEW

APPLICATION = Workflow(
    name="access_application",
    states=STATE_LABELS,
    initial=DRAFT,
    permits=_permits,
    transitions=[
        Transition("submit", frozenset({DRAFT}), SUBMITTED, APPLICANT, _is_applicant, label="Submit the application"),
        Transition("resubmit", frozenset({NOT_ACCEPTED}), SUBMITTED, APPLICANT, _is_applicant,
                   label="Submit the corrected application"),
        Transition("withdraw", frozenset({DRAFT, SUBMITTED, NOT_ACCEPTED}), WITHDRAWN, APPLICANT, _is_applicant,
                   label="Withdraw the application"),
        Transition("accept", frozenset({SUBMITTED}), ACCEPTED, ACCEPT, deadline_workdays=REVIEW_WORKDAYS,
                   label="Accept"),
        Transition("not_accept", frozenset({SUBMITTED}), NOT_ACCEPTED, ACCEPT, label="Do not accept"),
        Transition("approve", frozenset({ACCEPTED}), APPROVED, REVIEW, label="Approve"),
        Transition("refuse", frozenset({ACCEPTED}), REFUSED, REVIEW, label="Refuse"),
        Transition("sign_applicant", frozenset({APPROVED}), APPROVED, APPLICANT, _is_applicant,
                   label="Sign the use agreement"),
        Transition("sign_provider", frozenset({APPROVED}), APPROVED, REVIEW, label="Sign for the provider"),
        Transition("take_effect", frozenset({APPROVED}), IN_FORCE, SYSTEM_ONLY, label="Agreement in force"),
        Transition("expire", frozenset({IN_FORCE}), EXPIRED, SYSTEM_ONLY, label="Period over"),
        Transition("revoke", frozenset({IN_FORCE}), REVOKED, REVIEW, _reason_given, label="Revoke"),
        Transition("revoke_by_bureau", frozenset({IN_FORCE}), REVOKED, ACCEPT, _reason_given, label="Revoke"),
    ],
)

protect_status(AccessApplication, APPLICATION)

R_SUBMITTED, R_ROUTED, R_ANSWERED, R_DECLINED = "submitted", "routed", "answered", "declined"
REQUEST_STATE_LABELS = {
    R_SUBMITTED: "Waiting for routing",
    R_ROUTED: "With the agency",
    R_ANSWERED: "Answered",
    R_DECLINED: "Declined",
}

DATA_REQUEST = Workflow(
    name="access_request",
    states=REQUEST_STATE_LABELS,
    initial=R_SUBMITTED,
    transitions=[
        Transition("route", frozenset({R_SUBMITTED}), R_ROUTED, ACCEPT, deadline_workdays=REQUEST_WORKDAYS,
                   label="Route to an agency"),
        Transition("decline", frozenset({R_SUBMITTED}), R_DECLINED, ACCEPT, _reason_given, label="Decline"),
        Transition("answer", frozenset({R_ROUTED}), R_ANSWERED, REVIEW, label="Answer"),
    ],
)

protect_status(DataRequest, DATA_REQUEST)
