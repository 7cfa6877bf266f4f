"""The publishing process of a catalog entry (A14.2, A15.1, A32.1, A38.1): who may move it, and when.

    draft --submit--> submitted --start_review--> under_review --publish--> published --withdraw--> withdrawn
      ^                 |                           |   ^  review / expert_review (stay)     |
      |--recall---------+                           |                                     |
      |--reject / expert_reject (with the opinion) -+        withdrawn --republish--> published
      +--revise (to change what is opened) ----------------- withdrawn

Who (decided here; the permissions are in kaifang/security/permissions.py):
- the provider's data staff and chief data officer register, submit, recall and revise (catalog:entries:manage);
- the privacy/trade-secret review and the legality review are the provider's chief data officer's, and
  the bureau (city: every entry; district: its region's) may record them too (catalog:entries:review).
  Nobody reviews an entry they submitted themselves;
- the expert committee records the expert review (catalog:entries:expert_review) of entries that need
  one (A32.1: conditional, sensitive data items, or asked for);
- the chief data officer or the bureau publishes, withdraws (with a reason) and re-publishes
  (catalog:entries:publish).
Publishing requires every required review of the current submission round approved. A rejection sends
the entry back to draft with the reviewer's opinion; the next submission starts a new round.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select

from kaifang.catalog.models import CatalogEntry, CatalogFormat, DataItem, EntryReview
from kaifang.catalog.rules import INCOMPLETE, missing_fields
from kaifang.catalog.vocabulary import REVIEW_KIND_LABELS, Conclusion, ReviewKind
from kaifang.security import BusinessRuleError, Permission
from kaifang.workflow import Transition, TransitionContext, Workflow, protect_status


class EntryState(StrEnum):
    """The states of a catalog entry's publishing process (the values stored in ``catalog_entry.status``)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


STATE_LABELS: dict[str, str] = {  # keyed by EntryState members (strings)
    EntryState.DRAFT: "Draft",
    EntryState.SUBMITTED: "Submitted",
    EntryState.UNDER_REVIEW: "Under review",
    EntryState.PUBLISHED: "Published",
    EntryState.WITHDRAWN: "Withdrawn",
}


def required_reviews(entry: CatalogEntry) -> list[str]:
    """A15.1: privacy and legality always; the expert review when the entry needs one (A32.1)."""
    kinds = [ReviewKind.PRIVACY.value, ReviewKind.LEGALITY.value]
    if entry.needs_expert_review:
        kinds.append(ReviewKind.EXPERT.value)
    return kinds


def _recorded(ctx: TransitionContext) -> dict[str, str]:
    """kind -> conclusion of the reviews of the entry's current round."""
    entry = ctx.obj
    rows = ctx.session.execute(select(EntryReview.kind, EntryReview.conclusion).where(
        EntryReview.entry_id == entry.id, EntryReview.round == entry.review_round)).all()
    return {r.kind: r.conclusion for r in rows}


def _check_review(ctx: TransitionContext, kinds: set[str]) -> None:
    kind, conclusion = ctx.details.get("kind"), ctx.details.get("conclusion")
    if kind not in kinds:
        raise BusinessRuleError("Unknown kind of review.", field="kind")
    if conclusion not in set(Conclusion):
        raise BusinessRuleError("Please choose a conclusion: approve or reject.", field="conclusion")
    if conclusion == Conclusion.REJECT and not ctx.note:
        raise BusinessRuleError("Please give the opinion that explains the rejection.", field="opinion")
    if kind in _recorded(ctx):
        raise BusinessRuleError("The %(review)s of this submission has already been recorded.",
                                field="kind", review=REVIEW_KIND_LABELS[kind])
    submitter = ctx.obj.submitted_by_user_id
    if submitter is not None and ctx.principal.user_id == submitter:
        raise BusinessRuleError("You submitted this entry, so someone else must review it.")


def _review_guard(ctx: TransitionContext) -> None:
    _check_review(ctx, {ReviewKind.PRIVACY.value, ReviewKind.LEGALITY.value})


def _expert_review_guard(ctx: TransitionContext) -> None:
    if not ctx.obj.needs_expert_review:
        raise BusinessRuleError("This entry does not need an expert review.", field="kind")
    _check_review(ctx, {ReviewKind.EXPERT.value})


def _reviews_approved(ctx: TransitionContext) -> None:
    recorded = _recorded(ctx)
    missing = [REVIEW_KIND_LABELS[k] for k in required_reviews(ctx.obj) if recorded.get(k) != Conclusion.APPROVE]
    if missing:
        raise BusinessRuleError("The entry cannot be published before every required review has approved it.",
                                reviews=missing)


def _opinion_given(ctx: TransitionContext) -> None:
    if not ctx.note:
        raise BusinessRuleError("Please give the opinion that explains the rejection.", field="opinion")


def _reason_given(ctx: TransitionContext) -> None:
    if not ctx.note:
        raise BusinessRuleError("Please give the reason for withdrawing the entry.", field="reason")


def _complete(ctx: TransitionContext) -> None:
    """A14.2: one refusal naming every missing element (params ``fields``: their label msgids)."""
    entry = ctx.obj
    items = ctx.session.execute(select(DataItem).where(DataItem.entry_id == entry.id)).scalars().all()
    formats = ctx.session.execute(select(CatalogFormat.format).where(CatalogFormat.entry_id == entry.id)).all()
    missing = missing_fields(entry, items, [f for (f,) in formats])
    if missing:
        raise BusinessRuleError(INCOMPLETE, fields=missing)


MANAGE, REVIEW, EXPERT, PUBLISH = (Permission.CATALOG_MANAGE, Permission.CATALOG_REVIEW,
                                   Permission.CATALOG_EXPERT_REVIEW, Permission.CATALOG_PUBLISH)

S = EntryState

PUBLISHING = Workflow(
    name="catalog_publishing",
    states=STATE_LABELS,
    initial=S.DRAFT,
    transitions=[
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, MANAGE, _complete, label="Submit for review"),
        Transition("recall", frozenset({S.SUBMITTED}), S.DRAFT, MANAGE, label="Recall the submission"),
        Transition("start_review", frozenset({S.SUBMITTED}), S.UNDER_REVIEW, REVIEW, label="Start the review"),
        Transition("review", frozenset({S.UNDER_REVIEW}), S.UNDER_REVIEW, REVIEW, _review_guard,
                   label="Record a review"),
        Transition("expert_review", frozenset({S.UNDER_REVIEW}), S.UNDER_REVIEW, EXPERT, _expert_review_guard,
                   label="Record the expert review"),
        Transition("reject", frozenset({S.UNDER_REVIEW}), S.DRAFT, REVIEW, _opinion_given,
                   label="Send back to the provider"),
        Transition("expert_reject", frozenset({S.UNDER_REVIEW}), S.DRAFT, EXPERT, _opinion_given,
                   label="Send back to the provider"),
        Transition("publish", frozenset({S.UNDER_REVIEW}), S.PUBLISHED, PUBLISH, _reviews_approved, label="Publish"),
        Transition("withdraw", frozenset({S.PUBLISHED}), S.WITHDRAWN, PUBLISH, _reason_given, label="Withdraw"),
        Transition("republish", frozenset({S.WITHDRAWN}), S.PUBLISHED, PUBLISH, _reviews_approved,
                   label="Publish again"),
        Transition("revise", frozenset({S.WITHDRAWN}), S.DRAFT, MANAGE, label="Revise"),
    ],
)

protect_status(CatalogEntry, PUBLISHING)
