"""A16.3 and A8.1: providers are reminded by mail of updates due soon or overdue and of class reviews."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from kaifang.catalog.models import CatalogEntry
from kaifang.catalog.tasks import send_reminders
from kaifang.db import utcnow
from kaifang.tasks import JobContext
from tests.catalog.factories import entry_input, publish_as_system


def test_overdue_update_and_class_review_are_mailed_to_the_provider_A16_3_A8_1(session, sessions, settings, world,
                                                                                mailbox):
    daily = publish_as_system(session, world.orgs["agency"], entry_input(name="每日更新的目录"))
    cond = publish_as_system(session, world.orgs["agency"], entry_input(
        name="有条件目录", open_class="conditional", open_conditions="仅限研究机构用于交通规划研究"))
    fresh = publish_as_system(session, world.orgs["agency"],
                              entry_input(name="刚更新的目录", update_frequency="yearly"))
    now = utcnow()
    session.execute(update(CatalogEntry).where(CatalogEntry.id == daily.id).values(
        next_update_due_at=now - dt.timedelta(days=2)))
    session.execute(update(CatalogEntry).where(CatalogEntry.id == cond.id).values(
        review_due_on=(now + dt.timedelta(days=5)).date()))
    session.commit()
    assert send_reminders(JobContext(sessions, settings)) == 3  # staff + CDO for updates, CDO for the review
    staff = mailbox.to(world.emails["provider_staff"])
    assert len(staff) == 1 and "[逾期] 每日更新的目录" in staff[0].get_content()
    assert "刚更新的目录" not in staff[0].get_content()
    cdo = mailbox.to(world.emails["provider_cdo"])
    assert len(cdo) == 2 and any("有条件目录" in m.get_content() for m in cdo)
    assert fresh.id
