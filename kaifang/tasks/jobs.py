"""Jobs every part of the platform uses."""

from __future__ import annotations

from kaifang.mail import send_mail
from kaifang.tasks.queue import JobContext
from kaifang.tasks.registry import job


@job("mail.send", retries=5, retry_delay=30)
def send_mail_job(ctx: JobContext, to: str, subject: str, body: str) -> None:
    send_mail(ctx.settings, to, subject, body)
