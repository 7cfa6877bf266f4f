"""Notifications (kaifang/notify): a message in the platform and a mail in the recipient's language, the messages
page, marking read, and the header's count of unread messages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kaifang.notify import mark_notifications_read, my_notifications, notify, unread_count
from kaifang.security import AUTHENTICATED, Principal, service
from tests.helpers import queued_jobs
from tests.personas import World, csrf_from, login


@service(AUTHENTICATED)
def _tell(session: Session, principal: Principal, user_ids: list[int], title: str) -> int:
    """A service of some domain telling people about an item (notify runs inside a service's transaction)."""
    return notify(session, user_ids, "New application for conditional data: %(title)s", "/access/1", title=title)


def test_each_recipient_gets_a_message_and_a_mail_in_their_language(session: Session, world: World) -> None:
    citizen, company = world.principal(session, "citizen"), world.principal(session, "company")
    assert _tell(session, citizen, [world.users["citizen"], world.users["company"], world.users["citizen"]],
                 "企业画像") == 2
    assert _tell(session, citizen, [], "nobody") == 0
    [note] = my_notifications(session, company, 1).items
    assert note.message.msgid == "New application for conditional data: %(title)s"
    assert note.message.params == {"title": "企业画像"} and note.link == "/access/1" and note.unread
    mails = [j.args for j in queued_jobs(session, "mail.send")]
    assert {m["to"] for m in mails} == {world.emails["citizen"], world.emails["company"]}
    assert all(m["subject"] == "新的有条件开放数据申请：企业画像" for m in mails)
    assert unread_count(session, company) == 1
    assert mark_notifications_read(session, company, [note.id]) == 1
    assert unread_count(session, company) == 0 and unread_count(session, citizen) == 1


def test_the_messages_page_counts_unread_in_the_header_and_marks_read(client: TestClient, session: Session,
                                                                    world: World) -> None:
    citizen = world.principal(session, "citizen")
    _tell(session, citizen, [world.users["citizen"]], "<b>x</b>")
    session.commit()
    login(client, world.emails["citizen"])
    page = client.get("/me/notifications").text
    assert "新的有条件开放数据申请：&lt;b&gt;x&lt;/b&gt;" in page and 'href="/access/1"' in page
    assert 'aria-label="1 条未读"' in page
    token = csrf_from(client, "/me/notifications")
    done = client.post("/me/notifications/read", data={"csrf_token": token, "next": "//elsewhere.example"})
    assert done.status_code == 303 and done.headers["location"] == "/me/notifications"  # never another site
    assert 'aria-label="1 条未读"' not in client.get("/me/notifications").text
