"""Accounts over HTTP: registration (A9.5 rules acceptance), sign-in, lockout, password reset by mail."""

from __future__ import annotations

import re

from sqlalchemy import select

from kaifang.accounts.models import RulesAcceptance, User
from tests.helpers import audit_events, queued_jobs
from tests.personas import PASSWORD, csrf_from, login, post_form


def _register(client, **overrides):
    data = {"kind": "natural", "email": "li.ming@example.cn", "display_name": "李明", "password": "Suzhou-open-2026",
            "password_confirm": "Suzhou-open-2026", "accept_rules": "yes"}
    data.update(overrides)
    return post_form(client, "/register", data)


def test_register_natural_person_records_rules_acceptance_A9_5(client, session, settings):
    r = _register(client)
    assert r.status_code == 303 and r.headers["location"] == "/me"
    user = session.execute(select(User).where(User.email == "li.ming@example.cn")).scalar_one()
    acc = session.execute(select(RulesAcceptance).where(RulesAcceptance.user_id == user.id)).scalar_one()
    assert acc.version == settings.rules_version
    assert user.password_hash.startswith("$argon2id$")
    (ev,) = audit_events(session, "accounts.register")
    assert ev.object_id == str(user.id) and "password" not in str(ev.after).lower().replace("'***'", "")
    me = client.get("/me")
    assert me.status_code == 200 and "李明" in me.text and settings.rules_version in me.text


def test_register_refuses_without_accepting_rules_A9_5(client, session):
    r = _register(client, accept_rules="")
    assert r.status_code == 400
    assert "平台使用规则" in r.text or "rules of use" in r.text
    assert session.execute(select(User).where(User.email == "li.ming@example.cn")).first() is None


def test_register_legal_person_checks_credit_code(client, session):
    r = _register(client, kind="legal", email="corp@example.cn", org_name="苏州某某科技有限公司",
                  uscc="91110000600037341X")
    assert r.status_code == 400
    assert 'id="e-uscc"' in r.text
    assert session.execute(select(User).where(User.email == "corp@example.cn")).first() is None
    r = _register(client, kind="legal", email="corp@example.cn", org_name="苏州某某科技有限公司",
                  uscc="91110000600037341l")
    assert r.status_code == 303
    user = session.execute(select(User).where(User.email == "corp@example.cn")).scalar_one()
    assert (user.kind, user.uscc, user.org_name) == ("legal", "91110000600037341L", "苏州某某科技有限公司")


def test_register_reports_every_bad_field_at_once(client):
    r = _register(client, email="not-an-email", display_name="", password="short", kind="legal", org_name="")
    assert r.status_code == 400
    for field in ("email", "display_name", "password", "org_name", "uscc"):
        assert f'id="e-{field}"' in r.text, field


def test_register_duplicate_email_is_refused(client, world):
    r = _register(client, email=world.emails["citizen"].upper())
    assert r.status_code == 400 and 'id="e-email"' in r.text


def test_login_and_logout(client, world):
    assert client.get("/me").status_code == 303
    login(client, world.emails["citizen"])
    assert client.get("/me").status_code == 200
    r = post_form(client, "/logout", {}, token_from="/me")
    assert r.status_code == 303
    assert client.get("/me").headers["location"].startswith("/login")


def test_login_redirects_back_but_never_off_site(client, world):
    token = csrf_from(client, "/login")
    r = client.post("/login", data={"email": world.emails["citizen"], "password": PASSWORD, "csrf_token": token,
                                    "next": "//evil.example/x"})
    assert r.headers["location"] == "/me"


def test_five_wrong_passwords_lock_the_account(client, world, session):
    email = world.emails["citizen"]
    for attempt in range(5):
        token = csrf_from(client, "/login")
        r = client.post("/login", data={"email": email, "password": f"wrong-{attempt}", "csrf_token": token})
        assert r.status_code == 400
    assert "锁定" in r.text
    # Even the right password is refused while locked.
    token = csrf_from(client, "/login")
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 400 and "锁定" in r.text
    user = session.get(User, world.users["citizen"])
    session.refresh(user)
    assert user.locked_until is not None
    failures = audit_events(session, "accounts.login_failed", object_id=user.id)
    assert len(failures) == 5


def test_wrong_password_does_not_reveal_whether_account_exists(client, world):
    token = csrf_from(client, "/login")
    a = client.post("/login", data={"email": world.emails["citizen"], "password": "nope-nope-1", "csrf_token": token})
    b = client.post("/login", data={"email": "nobody@example.cn", "password": "nope-nope-1", "csrf_token": token})
    assert a.status_code == b.status_code == 400
    assert re.sub(r'value="[^"]*"', "", a.text) == re.sub(r'value="[^"]*"', "", b.text)


def test_password_reset_by_mail(client, world, session, mailbox):
    email = world.emails["citizen"]
    other = type(client)(client.app, base_url="http://testserver", follow_redirects=False)
    login(other, email)  # a session elsewhere that must end with the reset
    r = post_form(client, "/password/forgot", {"email": email})
    assert r.status_code == 200
    messages = mailbox.to(email)
    assert len(messages) == 1, "the reset mail went through the loopback SMTP server"
    body = messages[0].get_content()
    link = re.search(r"http://testserver(/password/reset/[\w-]+)", body)
    assert link, body
    (job,) = queued_jobs(session, "mail.send")
    assert job.state == "done" and "reset" not in str(job.args)
    r = post_form(client, link.group(1), {"password": "Brand-new-pass-9", "password_confirm": "Brand-new-pass-9"})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert other.get("/me").status_code == 303, "older sessions are signed out"
    login(client, email, "Brand-new-pass-9")
    # The link works once only.
    r = post_form(client, link.group(1), {"password": "Another-pass-99", "password_confirm": "Another-pass-99"})
    assert r.status_code == 400


def test_password_reset_for_unknown_address_sends_nothing(client, mailbox, session):
    r = post_form(client, "/password/forgot", {"email": "ghost@example.cn"})
    assert r.status_code == 200
    assert mailbox.messages == []
    assert queued_jobs(session) == []


def test_forms_refuse_a_missing_or_wrong_csrf_token(client, world):
    r = client.post("/login", data={"email": world.emails["citizen"], "password": PASSWORD})
    assert r.status_code == 403
    csrf_from(client, "/login")
    r = client.post("/login", data={"email": world.emails["citizen"], "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403


def test_profile_update_and_password_change(client, world, session):
    login(client, world.emails["citizen"])
    r = post_form(client, "/me/profile", {"display_name": "张三", "phone": "0512-1234567", "lang": "en"},
                  token_from="/me")
    assert r.status_code == 303
    page = client.get("/me")
    assert "张三" in page.text and "Personal centre" in page.text  # English chosen
    r = post_form(client, "/me/password", {"old_password": "wrong", "password": "Newer-pass-123",
                                           "password_confirm": "Newer-pass-123"}, token_from="/me")
    assert r.status_code == 400
    r = post_form(client, "/me/password", {"old_password": PASSWORD, "password": "Newer-pass-123",
                                           "password_confirm": "Newer-pass-123"}, token_from="/me")
    assert r.status_code == 303
    assert client.get("/me").status_code == 200, "the session that changed the password stays signed in"
