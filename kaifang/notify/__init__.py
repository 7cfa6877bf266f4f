"""Notifications (every domain tells people about its items): a message in the platform for each recipient, and
the same by e-mail in the recipient's language, sent by a job after the transaction commits."""

from kaifang.notify.queries import my_notifications, unread_count
from kaifang.notify.services import mark_notifications_read, notify

__all__ = ["mark_notifications_read", "my_notifications", "notify", "unread_count"]
