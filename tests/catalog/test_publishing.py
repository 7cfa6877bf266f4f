"""The publishing process (A14.2, A15.1, A32.1, A38.1): every transition of the table, illegal moves included."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.catalog import (
    DataItemInput,
    entry_actions,
    entry_history,
    entry_reviews,
    publish_entry,
    recall_entry,
    record_review,
    republish_entry,
    revise_entry,
    submit_entry,
    update_entry,
    withdraw_entry,
)
from kaifang.catalog.models import CatalogEntry, EntryReview
from kaifang.catalog.rules import INCOMPLETE
from kaifang.security import ANONYMOUS, BusinessRuleError, NotAuthenticated, NotFound, PermissionDenied
from kaifang.workflow import IllegalTransition
from tests.catalog import factories as f
from tests.catalog.factories import Cast
from tests.helpers import Audited, audit_events


def actions(session: Session, action: str, entry: CatalogEntry) -> list[Audited]:
    return audit_events(session, action, object_id=entry.id)


def transitions(session: Session, cast: Cast, entry: CatalogEntry) -> list[str]:
    return [h.transition for h in entry_history(session, cast.cdo, entry.id)]


def test_a15_1_happy_path_draft_to_published(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency)
    assert entry.status == "draft" and entry.slug == f"SZ-{cast.agency:04d}-0001"
    submit_entry(session, cast.staff, entry.id, note="请审核")
    assert entry.status == "submitted" and entry.review_round == 1 and entry.submitted_by_user_id == 9001
    record_review(session, cast.cdo, entry.id, "privacy", "approve", "不含个人信息")
    assert entry.status == "under_review"
    record_review(session, cast.city_bureau, entry.id, "legality", "approve", "合法")
    publish_entry(session, cast.cdo, entry.id)
    assert entry.status == "published" and entry.first_published_at is not None
    assert transitions(session, cast, entry) == ["submit", "start_review", "review", "review", "publish"]
    reviews = entry_reviews(session, cast.cdo, entry.id)
    assert {(r.kind, r.conclusion, r.reviewer_label) for r in reviews} == {
        ("privacy", "approve", "cdo@agency.cn"), ("legality", "approve", "bureau@city.cn")}
    assert all(r.round == 1 and r.reviewed_at is not None for r in reviews)
    ev = actions(session, "catalog_publishing.publish", entry)
    assert len(ev) == 1 and ev[0].after["status"] == "published"
    assert len(actions(session, "catalog_publishing.review", entry)) == 2


def test_a14_2_submission_names_every_missing_element_at_once(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency, name="", items=[], formats=[], data_type=None,
                    update_frequency=None, open_class="conditional", open_conditions="")
    with pytest.raises(BusinessRuleError) as exc:
        submit_entry(session, cast.staff, entry.id)
    assert exc.value.message == INCOMPLETE
    assert exc.value.params["fields"] == ["Catalog name", "Complete data items", "Data formats", "Data type",
                                          "Update frequency", "Open conditions"]
    session.refresh(entry)
    assert entry.status == "draft" and entry.review_round == 0


def test_a14_2_each_data_item_needs_name_title_type_and_meaning(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency, open_class=None,
                    items=[DataItemInput(name="line_no", title="线路编号", type="string", description="")])
    with pytest.raises(BusinessRuleError) as exc:
        submit_entry(session, cast.staff, entry.id)
    assert exc.value.params["fields"] == ["Complete data items", "Open class"]


def test_a15_1_publishing_a_draft_is_illegal(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency)
    with pytest.raises(IllegalTransition) as exc:
        publish_entry(session, cast.cdo, entry.id)
    assert exc.value.params == {"state": "Draft", "transition": "Publish"}
    with pytest.raises(IllegalTransition):
        withdraw_entry(session, cast.cdo, entry.id, "理由")
    assert entry.status == "draft"


def test_a15_1_publishing_needs_every_required_review(session: Session, cast: Cast) -> None:
    entry = f.under_review(session, cast)  # privacy approved, legality missing
    with pytest.raises(BusinessRuleError) as exc:
        publish_entry(session, cast.cdo, entry.id)
    assert exc.value.params == {"reviews": ["Legality review"]}
    assert entry.status == "under_review"


def test_a15_1_the_same_review_twice_is_refused(session: Session, cast: Cast) -> None:
    entry = f.under_review(session, cast)
    with pytest.raises(BusinessRuleError) as exc:
        record_review(session, cast.city_bureau, entry.id, "privacy", "approve", "again")
    assert exc.value.params == {"review": "Privacy and trade secret review"}
    rows = session.execute(select(EntryReview).where(EntryReview.entry_id == entry.id)).scalars().all()
    assert len(rows) == 1


def test_a15_1_nobody_reviews_their_own_submission(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.cdo, cast.agency)
    submit_entry(session, cast.cdo, entry.id)
    with pytest.raises(BusinessRuleError, match="someone else"):
        record_review(session, cast.cdo, entry.id, "privacy", "approve", "")
    session.refresh(entry)
    assert entry.status == "submitted"  # the automatic start of the review was rolled back too
    record_review(session, cast.city_bureau, entry.id, "privacy", "approve", "")
    assert entry.status == "under_review"


def test_a15_1_a_rejection_sends_the_entry_back_with_the_opinion(session: Session, cast: Cast) -> None:
    entry = f.under_review(session, cast)
    with pytest.raises(BusinessRuleError, match="opinion"):
        record_review(session, cast.cdo, entry.id, "legality", "reject", "")
    record_review(session, cast.cdo, entry.id, "legality", "reject", "缺少法律依据")
    assert entry.status == "draft"
    last = entry_history(session, cast.staff, entry.id)[-1]
    assert (last.transition, last.to_state, last.note) == ("reject", "draft", "缺少法律依据")
    # The provider fixes the draft and submits again: a new round, whose reviews start afresh.
    update_entry(session, cast.staff, entry.id, f.entry_input(usage_terms="依据《苏州市公共数据开放实施细则》"))
    submit_entry(session, cast.staff, entry.id)
    assert entry.review_round == 2
    with pytest.raises(BusinessRuleError):
        publish_entry(session, cast.cdo, entry.id)  # not even under review yet
    record_review(session, cast.cdo, entry.id, "privacy", "approve", "")
    record_review(session, cast.cdo, entry.id, "legality", "approve", "")
    publish_entry(session, cast.city_bureau, entry.id)
    assert entry.status == "published"


def test_a32_1_conditional_or_sensitive_entries_need_the_expert_review(session: Session, cast: Cast) -> None:
    sensitive = [*f.BUS_ITEMS, DataItemInput(name="driver_id", title="驾驶员证件号", type="string",
                                             description="驾驶员身份证件号码", sensitivity="sensitive")]
    entry = f.under_review(session, cast, items=sensitive)
    assert entry.needs_expert_review
    record_review(session, cast.cdo, entry.id, "legality", "approve", "")
    with pytest.raises(BusinessRuleError) as exc:
        publish_entry(session, cast.cdo, entry.id)
    assert exc.value.params == {"reviews": ["Expert review"]}
    with pytest.raises(PermissionDenied):  # the provider cannot give the expert review
        record_review(session, cast.cdo, entry.id, "expert", "approve", "")
    record_review(session, cast.expert, entry.id, "expert", "approve", "关联分析风险可控")
    publish_entry(session, cast.cdo, entry.id)
    conditional = f.draft(session, cast.staff, cast.agency, open_class="conditional", open_conditions="仅限科研用途")
    assert conditional.needs_expert_review
    plain = f.draft(session, cast.staff, cast.agency)
    assert not plain.needs_expert_review
    with pytest.raises(NotFound):  # a draft is hidden from experts
        record_review(session, cast.expert, plain.id, "expert", "approve", "")
    submit_entry(session, cast.staff, plain.id)
    record_review(session, cast.cdo, plain.id, "privacy", "approve", "")
    with pytest.raises(NotFound):  # experts see only entries that need them
        record_review(session, cast.expert, plain.id, "expert", "approve", "")


def test_a32_1_an_expert_rejection_sends_the_entry_back(session: Session, cast: Cast) -> None:
    entry = f.under_review(session, cast, open_class="conditional", open_conditions="仅限交通规划研究")
    record_review(session, cast.expert, entry.id, "expert", "reject", "与企业数据关联可识别个人出行轨迹")
    assert entry.status == "draft"
    assert [h.transition for h in entry_history(session, cast.staff, entry.id)][-2:] == ["expert_review",
                                                                                        "expert_reject"]


def test_a15_1_recall_before_review(session: Session, cast: Cast) -> None:
    entry = f.submitted(session, cast)
    recall_entry(session, cast.staff, entry.id, "补充数据项")
    assert entry.status == "draft"
    entry = f.under_review(session, cast)
    with pytest.raises(IllegalTransition):
        recall_entry(session, cast.staff, entry.id)


def test_a38_1_withdraw_with_reason_then_republish_or_revise(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast)
    with pytest.raises(BusinessRuleError, match="reason"):
        withdraw_entry(session, cast.cdo, entry.id, " ")
    with pytest.raises(PermissionDenied):  # data staff do not withdraw
        withdraw_entry(session, cast.staff, entry.id, "错误")
    withdraw_entry(session, cast.city_bureau, entry.id, "收到隐私投诉，核实中")
    assert entry.status == "withdrawn"
    ev = actions(session, "catalog_publishing.withdraw", entry)
    assert ev[0].after["note"] == "收到隐私投诉，核实中"
    republish_entry(session, cast.cdo, entry.id, "核实无隐私问题")
    assert entry.status == "published"
    withdraw_entry(session, cast.cdo, entry.id, "需要脱敏处理")
    revise_entry(session, cast.staff, entry.id)
    assert entry.status == "draft"
    with pytest.raises(IllegalTransition):
        republish_entry(session, cast.cdo, entry.id)


def test_a14_1_other_agencies_cannot_see_or_touch_a_draft(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency)
    # Those who manage entries elsewhere cannot tell this draft from a missing one.
    for who in (cast.other_staff, cast.other_cdo):
        with pytest.raises(NotFound):
            submit_entry(session, who, entry.id)
    # Those who never manage entries are refused whatever the entry (nothing leaks either); the city
    # bureau sees the draft but does not submit for the provider.
    for who in (cast.kunshan_bureau, cast.expert, cast.citizen, cast.supervisor, cast.city_bureau):
        with pytest.raises(PermissionDenied):
            submit_entry(session, who, entry.id)
    with pytest.raises(NotAuthenticated):
        submit_entry(session, ANONYMOUS, entry.id)
    # Staff do not review, and another agency's CDO cannot reach the entry at all.
    submit_entry(session, cast.staff2, entry.id)
    with pytest.raises(PermissionDenied):
        record_review(session, cast.staff, entry.id, "privacy", "approve", "")
    with pytest.raises(NotFound):
        record_review(session, cast.other_cdo, entry.id, "privacy", "approve", "")
    assert entry.status == "submitted"


def test_a15_1_published_entries_of_another_agency_are_visible_but_not_theirs_to_withdraw(
        session: Session, cast: Cast) -> None:
    entry = f.published(session, cast)
    with pytest.raises(PermissionDenied):
        withdraw_entry(session, cast.other_cdo, entry.id, "不是我们的")
    with pytest.raises(PermissionDenied):  # a district bureau reaches only its own region
        withdraw_entry(session, cast.kunshan_bureau, entry.id, "不是我们的")


def test_entry_actions_offer_what_the_principal_may_do(session: Session, cast: Cast) -> None:
    entry = f.draft(session, cast.staff, cast.agency)
    assert [t.name for t in entry_actions(session, cast.staff, entry.id)] == ["submit"]
    submit_entry(session, cast.staff, entry.id)
    assert [t.name for t in entry_actions(session, cast.cdo, entry.id)] == ["recall", "start_review"]
    assert [t.name for t in entry_actions(session, cast.staff, entry.id)] == ["recall"]
