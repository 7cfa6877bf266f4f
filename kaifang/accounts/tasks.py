"""Account housekeeping jobs."""

from __future__ import annotations

import datetime as dt
from typing import cast

from huey import crontab
from sqlalchemy import CursorResult, delete

from kaifang.accounts.models import PasswordResetToken
from kaifang.db import utcnow
from kaifang.tasks import JobContext, periodic_job


# Huey schedules in UTC: 19:10 UTC is 03:10 in Beijing.
@periodic_job("accounts.purge_reset_tokens", crontab(minute="10", hour="19"))
def purge_reset_tokens(ctx: JobContext) -> int:
    """Password-reset tokens are useless a day after they expire: delete them."""
    with ctx.sessions() as session:
        result = session.execute(delete(PasswordResetToken).where(
            PasswordResetToken.expires_at < utcnow() - dt.timedelta(days=1)))
        session.commit()
        return cast(CursorResult, result).rowcount
