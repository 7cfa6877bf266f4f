"""A8.1, A8.2: changes of open class with reason, approver and history; periodic reviews of entries outside
the open range."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.catalog import (
    change_open_class,
    class_reviews_due,
    confirm_open_class,
    get_entry,
    search_entries,
)
from kaifang.catalog.models import OpenClassChange
from kaifang.db import utcnow
from kaifang.security import BusinessRuleError, PermissionDenied
from kaifang.workdays import SHANGHAI
from tests.catalog import factories as f
from tests.catalog.factories import Cast
from tests.helpers import audit_events


def _next_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def today() -> dt.date:
    return utcnow().astimezone(SHANGHAI).date()


def test_a8_2_not_open_to_open_with_reason_and_approver(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast, open_class="not_open")
    assert entry.review_due_on == _next_year(today())  # A8.1: reviewed again within a year
    change = change_open_class(session, cast.cdo, entry.id, "conditional", "已完成脱敏处理", "仅限交通规划科研用途")
    assert (change.from_class, change.to_class, change.reason) == ("not_open", "conditional", "已完成脱敏处理")
    assert (change.approved_by_user_id, change.approved_by_label) == (9003, "cdo@agency.cn")
    assert change.conditions == "仅限交通规划科研用途"
    assert entry.open_class == "conditional" and entry.open_conditions == "仅限交通规划科研用途"
    assert entry.needs_expert_review  # conditional data: aggregation risks for the next review round
    change_open_class(session, cast.city_bureau, entry.id, "unconditional", "经评估可无条件开放")
    assert entry.open_conditions == "" and entry.review_due_on is None
    history = session.execute(select(OpenClassChange).where(OpenClassChange.entry_id == entry.id)
                              .order_by(OpenClassChange.id)).scalars().all()
    assert [(h.from_class, h.to_class, h.approved_by_label) for h in history] == [
        ("not_open", "conditional", "cdo@agency.cn"), ("conditional", "unconditional", "bureau@city.cn")]
    # A8.2: the history is shown with the entry, to everyone.
    view = get_entry(session, cast.citizen, entry.slug)
    assert [(c.from_class, c.to_class, c.reason) for c in view.class_changes] == [
        ("not_open", "conditional", "已完成脱敏处理"), ("conditional", "unconditional", "经评估可无条件开放")]
    assert {c.approved_by for c in view.class_changes} == {""}
    assert [c.approved_by for c in get_entry(session, cast.staff, entry.id).class_changes] == [
        "cdo@agency.cn", "bureau@city.cn"]
    ev = audit_events(session, "catalog.open_class_changed")
    assert [e.after["open_class"] for e in ev] == ["conditional", "unconditional"]


def test_a8_2_a_change_is_checked(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast)
    with pytest.raises(BusinessRuleError, match="reason"):
        change_open_class(session, cast.cdo, entry.id, "not_open", "  ")
    with pytest.raises(BusinessRuleError, match="already"):
        change_open_class(session, cast.cdo, entry.id, "unconditional", "无变化")
    with pytest.raises(BusinessRuleError, match="conditions"):
        change_open_class(session, cast.cdo, entry.id, "conditional", "涉及企业经营信息")
    with pytest.raises(BusinessRuleError, match="Unknown"):
        change_open_class(session, cast.cdo, entry.id, "secret", "x")
    with pytest.raises(PermissionDenied):  # data staff propose, the CDO or the bureau approves
        change_open_class(session, cast.staff, entry.id, "not_open", "涉及个人信息")
    with pytest.raises(PermissionDenied):
        change_open_class(session, cast.kunshan_bureau, entry.id, "not_open", "涉及个人信息")
    draft = f.draft(session, cast.staff, cast.agency)
    with pytest.raises(BusinessRuleError, match="draft"):
        change_open_class(session, cast.cdo, draft.id, "not_open", "x")
    assert session.execute(select(OpenClassChange)).first() is None


def test_a7_2_closing_an_entry_hides_its_details_from_search(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast, summary="全市公交线路的线路编号和票价。")
    assert search_entries(session, cast.citizen, "票价").total == 1
    change_open_class(session, cast.cdo, entry.id, "not_open", "发现涉及个人出行信息")
    assert search_entries(session, cast.citizen, "票价").total == 0  # the summary is no longer indexed
    result = search_entries(session, cast.citizen, "公交线路")
    assert result.total == 1 and result.items[0].restricted and result.items[0].summary == ""


def test_a8_1_periodic_review_confirms_the_class_and_moves_the_date(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast, open_class="conditional", open_conditions="仅限科研")
    assert class_reviews_due(session, cast.cdo) == []
    due_day = _next_year(today())
    listed = class_reviews_due(session, cast.cdo, on=due_day)
    assert [c.id for c in listed] == [entry.id]
    assert class_reviews_due(session, cast.other_cdo, on=due_day) == []  # only one's own entries
    assert [c.id for c in class_reviews_due(session, cast.city_bureau, on=due_day)] == [entry.id]
    change = confirm_open_class(session, cast.cdo, entry.id, "年度复核：仍需有条件开放")
    assert (change.from_class, change.to_class) == ("conditional", "conditional")
    assert entry.review_due_on == _next_year(today())
    plain = f.published(session, cast, name="苏州市公交站点信息")
    with pytest.raises(BusinessRuleError, match="periodic"):
        confirm_open_class(session, cast.cdo, plain.id, "复核")
