"""A16.3: each entry is due for an update at its declared frequency; overdue entries are flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from kaifang.catalog import due_for_update, mark_data_updated, overdue_entries
from kaifang.catalog.models import CatalogEntry
from kaifang.catalog.rules import next_update_due
from kaifang.db import utcnow
from kaifang.security import BusinessRuleError
from kaifang.workdays import SHANGHAI
from tests.catalog import factories as f
from tests.catalog.factories import Cast

UTC = dt.UTC


def sh(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(("frequency", "last", "due"), [
    ("realtime", "2026-03-01 08:00", "2026-03-02 08:00"),
    ("daily", "2026-03-01 08:00", "2026-03-02 08:00"),
    ("weekly", "2026-03-01 08:00", "2026-03-08 08:00"),
    ("monthly", "2026-01-31 08:00", "2026-02-28 08:00"),  # calendar months, clamped to the month's end
    ("monthly", "2026-03-15 08:00", "2026-04-15 08:00"),
    ("quarterly", "2026-11-30 08:00", "2027-02-28 08:00"),
    ("half_yearly", "2026-08-31 08:00", "2027-02-28 08:00"),
    ("yearly", "2028-02-29 08:00", "2029-02-28 08:00"),
    ("monthly", "2026-03-31 23:30", "2026-04-30 23:30"),  # months counted in Shanghai, not in UTC
])
def test_a16_3_next_due_date_by_frequency(frequency: str, last: str, due: str) -> None:
    assert next_update_due(frequency, sh(last)) == sh(due)


def test_a16_3_irregular_or_never_published_has_no_due_date() -> None:
    assert next_update_due("irregular", sh("2026-03-01 08:00")) is None
    assert next_update_due("daily", None) is None
    entry = CatalogEntry(update_frequency="weekly", first_published_at=sh("2026-03-01 08:00"), data_updated_at=None)
    assert due_for_update(entry) == sh("2026-03-08 08:00")
    entry.data_updated_at = sh("2026-03-05 08:00")
    assert due_for_update(entry) == sh("2026-03-12 08:00")


def test_a16_3_publication_and_data_updates_set_the_due_date(session: Session, cast: Cast) -> None:
    entry = f.published(session, cast, update_frequency="monthly")
    assert entry.data_updated_at == entry.first_published_at
    assert entry.next_update_due_at == next_update_due("monthly", entry.first_published_at)
    at = utcnow() - dt.timedelta(days=40)
    mark_data_updated(session, cast.staff, entry.id, at=at)
    assert entry.data_updated_at == at and entry.next_update_due_at == next_update_due("monthly", at)
    draft = f.draft(session, cast.staff, cast.agency)
    with pytest.raises(BusinessRuleError):
        mark_data_updated(session, cast.staff, draft.id)


def test_a16_3_overdue_entries_are_flagged_for_their_provider_and_bureau(session: Session, cast: Cast) -> None:
    daily = f.published(session, cast, name="苏州市停车场泊位信息", update_frequency="daily")
    yearly = f.published(session, cast, name="苏州市道路客运班线信息", update_frequency="yearly")
    irregular = f.published(session, cast, name="苏州市交通规划文件", update_frequency="irregular")
    mark_data_updated(session, cast.staff, daily.id, at=utcnow() - dt.timedelta(days=3))
    assert [c.id for c in overdue_entries(session, cast.cdo)] == [daily.id]
    assert [c.id for c in overdue_entries(session, cast.city_bureau)] == [daily.id]
    assert overdue_entries(session, cast.other_cdo) == []
    assert overdue_entries(session, cast.kunshan_bureau) == []
    # Reminders before the due date (A16.3): those due within the next 400 days.
    soon = overdue_entries(session, cast.cdo, within=dt.timedelta(days=400))
    assert [c.id for c in soon] == [daily.id, yearly.id] and irregular.id not in {c.id for c in soon}
