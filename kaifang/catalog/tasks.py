"""A16.3 timeliness and A8.1 periodic class reviews: daily reminders to the providers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from huey import crontab
from sqlalchemy import select

from kaifang.accounts import organisation_contacts
from kaifang.catalog.models import CatalogEntry
from kaifang.catalog.workflow import EntryState
from kaifang.db import utcnow
from kaifang.i18n import gettext_in
from kaifang.tasks import JobContext, enqueue, periodic_job

REMIND_DAYS = 3
REVIEW_REMIND_DAYS = 14


def _due_entries(session, now: dt.datetime):
    soon = now + dt.timedelta(days=REMIND_DAYS)
    update_due = session.execute(select(CatalogEntry).where(
        CatalogEntry.status == EntryState.PUBLISHED, CatalogEntry.next_update_due_at.is_not(None),
        CatalogEntry.next_update_due_at < soon).order_by(CatalogEntry.next_update_due_at)).scalars().all()
    review_due = session.execute(select(CatalogEntry).where(
        CatalogEntry.review_due_on.is_not(None),
        CatalogEntry.review_due_on <= (now + dt.timedelta(days=REVIEW_REMIND_DAYS)).date())
        .order_by(CatalogEntry.review_due_on)).scalars().all()
    return update_due, review_due


# Huey schedules in UTC: 00:30 UTC is 08:30 in Beijing, the start of the working day.
@periodic_job("catalog.reminders", crontab(minute="30", hour="0"))
def send_reminders(ctx: JobContext) -> int:
    """Mail each provider's data staff and chief data officer the entries whose update is due within three days
    or overdue (A16.3), and the chief data officer the entries whose periodic class review is near (A8.1)."""
    now = utcnow()
    sent = 0
    with ctx.sessions() as session:
        update_due, review_due = _due_entries(session, now)
        by_org: dict[int, list[str]] = defaultdict(list)
        for e in update_due:
            mark = "[逾期] " if e.next_update_due_at < now else ""
            by_org[e.provider_org_id].append(f"{mark}{e.name}（{e.next_update_due_at:%Y-%m-%d}）")
        reviews: dict[int, list[str]] = defaultdict(list)
        for e in review_due:
            reviews[e.provider_org_id].append(f"{e.name}（{e.review_due_on:%Y-%m-%d}）")
        for org_id, lines in by_org.items():
            for email, name, lang in organisation_contacts(session, org_id, ("provider_staff", "provider_cdo")):
                enqueue(session, "mail.send", to=email, subject=gettext_in(lang, "Open data due for update"),
                        body=gettext_in(lang, "update_reminder_body", name=name, entries="\n".join(lines)))
                sent += 1
        for org_id, lines in reviews.items():
            for email, name, lang in organisation_contacts(session, org_id, ("provider_cdo",)):
                enqueue(session, "mail.send", to=email, subject=gettext_in(lang, "Open classes due for review"),
                        body=gettext_in(lang, "class_review_reminder_body", name=name, entries="\n".join(lines)))
                sent += 1
        session.commit()
    return sent
