"""The processes of conditional access: applications (A20.1-A21.1), out-of-catalog requests (A23.1) and grants
(A20.4, A34.1). Each state is a member of its workflow's ``StrEnum``; only ``kaifang.workflow.transition()``
moves an object from one to another.

Application::

    draft --submit--> submitted --accept (bureau; 10 working days start)--> accepted
      |                 |  \\--not_accept (bureau, every reason at once)--> not_accepted --resubmit--> submitted
      |                 |                                                      |
      +--withdraw-------+--withdraw--------------------------------------------+
    accepted --approve (provider: purpose, scope, period)--> approved --sign_* (both sides)--> approved
    accepted --refuse (provider: reasons and legal basis)--> refused
    accepted --remind / escalate (the system: deadline near / passed; the deadline stays)--> accepted
    approved --take_effect (the system, once both have signed)--> in_force
    in_force --expire (the system, period over)--> expired
    in_force --revoke (the provider or the bureau, with a reason)--> revoked

Who: the applicant submits, corrects, withdraws and signs (checked by the guards: it is their application);
the bureau reaching the provider's region accepts (access:applications:accept); the provider's staff review
and sign for the agency (access:applications:review). Nobody else moves an application.

Out-of-catalog request::

    submitted --route (bureau; 10 working days start)--> routed --answer (the agency)--> answered
    submitted --decline (bureau, with the reason)--> declined
    routed --escalate (the system: the deadline passed; it stays)--> routed

Grant (one dataset of an agreement in force)::

    active --suspend (a sanction imposed)--> suspended --resume (the sanction lifted)--> active
    active, suspended --revoke / revoke_by_bureau (the agreement revoked)--> revoked
    active, suspended --expire (the system, period over)--> expired
"""

from __future__ import annotations

from enum import StrEnum

from kaifang.access.models import AccessApplication, DataRequest, Grant
from kaifang.security import BusinessRuleError, OrgRef, Permission, Principal
from kaifang.workflow import Transition, TransitionContext, Workflow, protect_status

REVIEW_WORKDAYS = 10  # A20.3
REQUEST_WORKDAYS = 10  # A23.1


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NOT_ACCEPTED = "not_accepted"
    ACCEPTED = "accepted"
    APPROVED = "approved"
    REFUSED = "refused"
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


class RequestState(StrEnum):
    SUBMITTED = "submitted"
    ROUTED = "routed"
    ANSWERED = "answered"
    DECLINED = "declined"


class GrantState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


A = ApplicationState
STATE_LABELS: dict[str, str] = {
    A.DRAFT: "Draft",
    A.SUBMITTED: "Waiting for acceptance",
    A.NOT_ACCEPTED: "Not accepted",
    A.ACCEPTED: "Accepted, under review",
    A.APPROVED: "Approved, awaiting signatures",
    A.REFUSED: "Refused",
    A.IN_FORCE: "In force",
    A.EXPIRED: "Expired",
    A.REVOKED: "Revoked",
    A.WITHDRAWN: "Withdrawn by the applicant",
}
# The applicant may still change these (a draft, or one sent back as not accepted).
EDITABLE = frozenset({A.DRAFT, A.NOT_ACCEPTED})
# The provider has decided to grant: the approved scope is shown.
DECIDED = frozenset({A.APPROVED, A.IN_FORCE, A.EXPIRED, A.REVOKED})

# Applicant-side moves carry this pseudo-permission: any signed-in user may attempt them, and the guard
# checks that the application is theirs. The system's moves (taking effect, expiry, reminders) are its alone.
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


ACCEPT, REVIEW, SANCTION = Permission.ACCESS_ACCEPT, Permission.ACCESS_REVIEW, Permission.ACCESS_SANCTION

APPLICATION = Workflow(
    name="access_application",
    states=STATE_LABELS,
    initial=A.DRAFT,
    permits=_permits,
    transitions=[
        Transition("submit", frozenset({A.DRAFT}), A.SUBMITTED, APPLICANT, _is_applicant,
                   label="Submit the application"),
        Transition("resubmit", frozenset({A.NOT_ACCEPTED}), A.SUBMITTED, APPLICANT, _is_applicant,
                   label="Submit the corrected application"),
        Transition("withdraw", frozenset({A.DRAFT, A.SUBMITTED, A.NOT_ACCEPTED}), A.WITHDRAWN, APPLICANT,
                   _is_applicant, label="Withdraw the application"),
        Transition("accept", frozenset({A.SUBMITTED}), A.ACCEPTED, ACCEPT, deadline_workdays=REVIEW_WORKDAYS,
                   label="Accept"),
        Transition("not_accept", frozenset({A.SUBMITTED}), A.NOT_ACCEPTED, ACCEPT, label="Do not accept"),
        Transition("remind", frozenset({A.ACCEPTED}), A.ACCEPTED, SYSTEM_ONLY, keeps_due=True,
                   label="Reminder: the review is due soon"),
        Transition("escalate", frozenset({A.ACCEPTED}), A.ACCEPTED, SYSTEM_ONLY, keeps_due=True,
                   label="Overdue: flagged to the bureau"),
        Transition("approve", frozenset({A.ACCEPTED}), A.APPROVED, REVIEW, label="Approve"),
        Transition("refuse", frozenset({A.ACCEPTED}), A.REFUSED, REVIEW, label="Refuse"),
        Transition("sign_applicant", frozenset({A.APPROVED}), A.APPROVED, APPLICANT, _is_applicant,
                   label="Sign the use agreement"),
        Transition("sign_provider", frozenset({A.APPROVED}), A.APPROVED, REVIEW, label="Sign for the provider"),
        Transition("take_effect", frozenset({A.APPROVED}), A.IN_FORCE, SYSTEM_ONLY, label="Agreement in force"),
        Transition("expire", frozenset({A.IN_FORCE}), A.EXPIRED, SYSTEM_ONLY, label="Period over"),
        Transition("revoke", frozenset({A.IN_FORCE}), A.REVOKED, REVIEW, _reason_given, label="Revoke"),
        Transition("revoke_by_bureau", frozenset({A.IN_FORCE}), A.REVOKED, ACCEPT, _reason_given, label="Revoke"),
    ],
)

protect_status(AccessApplication, APPLICATION)

R = RequestState
REQUEST_STATE_LABELS: dict[str, str] = {
    R.SUBMITTED: "Waiting for routing",
    R.ROUTED: "With the agency",
    R.ANSWERED: "Answered",
    R.DECLINED: "Declined",
}
# Waiting for someone: the bureau (to route) or the agency (to answer).
REQUEST_OPEN = frozenset({R.SUBMITTED, R.ROUTED})

DATA_REQUEST = Workflow(
    name="access_request",
    states=REQUEST_STATE_LABELS,
    initial=R.SUBMITTED,
    permits=_permits,
    transitions=[
        Transition("route", frozenset({R.SUBMITTED}), R.ROUTED, ACCEPT, deadline_workdays=REQUEST_WORKDAYS,
                   label="Route to an agency"),
        Transition("decline", frozenset({R.SUBMITTED}), R.DECLINED, ACCEPT, _reason_given, label="Decline"),
        Transition("escalate", frozenset({R.ROUTED}), R.ROUTED, SYSTEM_ONLY, keeps_due=True,
                   label="Overdue: flagged to the bureau"),
        Transition("answer", frozenset({R.ROUTED}), R.ANSWERED, REVIEW, label="Answer"),
    ],
)

protect_status(DataRequest, DATA_REQUEST)

G = GrantState
GRANT_STATE_LABELS: dict[str, str] = {
    G.ACTIVE: "In effect",
    G.SUSPENDED: "Suspended",
    G.REVOKED: "Revoked",
    G.EXPIRED: "Expired",
}
GRANT_LIVE = frozenset({G.ACTIVE, G.SUSPENDED})  # not ended: a sanction may suspend it, revocation or expiry end it

GRANT = Workflow(
    name="access_grant",
    states=GRANT_STATE_LABELS,
    initial=G.ACTIVE,
    permits=_permits,
    attribute="state",
    transitions=[
        Transition("suspend", frozenset({G.ACTIVE}), G.SUSPENDED, SANCTION, label="Suspended by a sanction"),
        Transition("resume", frozenset({G.SUSPENDED}), G.ACTIVE, SANCTION, label="Resumed: the sanction was lifted"),
        Transition("revoke", GRANT_LIVE, G.REVOKED, REVIEW, label="Revoke"),
        Transition("revoke_by_bureau", GRANT_LIVE, G.REVOKED, ACCEPT, label="Revoke"),
        Transition("expire", GRANT_LIVE, G.EXPIRED, SYSTEM_ONLY, label="Period over"),
    ],
)

protect_status(Grant, GRANT)
