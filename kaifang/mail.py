"""Outgoing mail: SMTP in production and tests, .eml files under var/mail in development."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from kaifang.config import Settings
from kaifang.db import utcnow


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="kaifang.local")
    msg.set_content(body)
    return msg


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    msg = build_message(settings, to, subject, body)
    if settings.mail_backend == "file":
        outbox = settings.var_dir / "mail"
        outbox.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{to.replace('@', '_at_')}.eml"
        (outbox / name).write_bytes(bytes(msg))
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)
