"""Console over HTTP: organisations, staff registration with history (A35.1), audit and job pages (A9.4)."""

from __future__ import annotations

from sqlalchemy import select

from kaifang.accounts.models import Membership, MembershipChange, Organisation
from tests.helpers import audit_events
from tests.personas import login, post_form


def test_operator_creates_an_organisation(client, world, session):
    login(client, world.emails["operator"])
    r = post_form(client, "/console/organisations/new",
                  {"name": "苏州市水务局", "kind": "provider", "region_code": "320500", "uscc": ""})
    assert r.status_code == 303
    org = session.execute(select(Organisation).where(Organisation.name == "苏州市水务局")).scalar_one()
    assert r.headers["location"] == f"/console/organisations/{org.id}"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "苏州市水务局" in page.text


def test_organisation_form_reports_bad_fields(client, world):
    login(client, world.emails["operator"])
    r = post_form(client, "/console/organisations/new",
                  {"name": "苏州市交通运输局(测试)", "kind": "provider", "region_code": "999999", "uscc": "123"})
    assert r.status_code == 400
    for field in ("name", "region_code", "uscc"):
        assert f'id="e-{field}"' in r.text, field


def test_chief_data_officer_registers_and_removes_staff_with_history_A35_1(client, world, session):
    agency = world.orgs["agency"]
    login(client, world.emails["provider_cdo"])
    page = f"/console/organisations/{agency}"
    r = post_form(client, f"{page}/members", {"email": world.emails["citizen"], "role": "provider_staff",
                                              "reason": "新入职数据专员"}, token_from=page)
    assert r.status_code == 303
    m = session.execute(select(Membership).where(Membership.org_id == agency,
                                                 Membership.user_id == world.users["citizen"])).scalar_one()
    # The CDO may not appoint another chief data officer: that is the operator's call.
    r = post_form(client, f"{page}/members", {"email": world.emails["company"], "role": "provider_cdo",
                                              "reason": "x"}, token_from=page)
    assert r.status_code == 403
    r = post_form(client, f"{page}/members/{m.id}/remove", {"reason": "调岗"}, token_from=page)
    assert r.status_code == 303
    history = session.execute(select(MembershipChange).where(MembershipChange.org_id == agency,
                                                             MembershipChange.user_id == world.users["citizen"])
                              .order_by(MembershipChange.id)).scalars().all()
    assert [(h.change, h.reason, h.by_user_id) for h in history] == [
        ("added", "新入职数据专员", world.users["provider_cdo"]), ("removed", "调岗", world.users["provider_cdo"])]
    text = client.get(page).text
    assert "新入职数据专员" in text and "调岗" in text
    actions = [e.action for e in audit_events(session, object_id=agency)]
    assert "accounts.member_added" in actions and "accounts.member_removed" in actions


def test_new_staff_role_takes_effect_on_the_next_request(client, world):
    login(client, world.emails["citizen"])
    assert client.get("/console").status_code == 403
    cdo = type(client)(client.app, base_url="http://testserver", follow_redirects=False)
    login(cdo, world.emails["provider_cdo"])
    page = f"/console/organisations/{world.orgs['agency']}"
    post_form(cdo, f"{page}/members", {"email": world.emails["citizen"], "role": "provider_staff", "reason": "r"},
              token_from=page)
    assert client.get("/console").status_code == 200


def test_district_bureau_sees_only_its_region(client, world):
    login(client, world.emails["district_bureau"])
    text = client.get("/console/organisations").text
    assert "昆山市市场监督管理局(测试)" in text
    assert "苏州市交通运输局(测试)" not in text
    assert client.get(f"/console/organisations/{world.orgs['other_agency']}").status_code == 200
    assert client.get(f"/console/organisations/{world.orgs['agency']}").status_code == 404


def test_operator_browses_and_filters_the_audit_trail_A9_4(client, world):
    login(client, world.emails["operator"])
    r = client.get("/console/audit", params={"action": "accounts.member_added"})
    assert r.status_code == 200
    assert "accounts.member_added" in r.text and "accounts.register</code>" not in r.text
    r = post_form(client, "/console/audit/verify", {}, token_from="/console/audit")
    assert r.status_code == 200 and "flash-success" in r.text


def test_supervisor_reads_the_trail_but_cannot_run_verification_A9_4(client, world):
    login(client, world.emails["supervisor"])
    r = client.get("/console/audit")
    assert r.status_code == 200 and "/console/audit/verify" not in r.text


def test_operator_sees_jobs_with_state_and_attempts(client, world, mailbox):
    post_form(client, "/password/forgot", {"email": world.emails["citizen"]})
    login(client, world.emails["operator"])
    r = client.get("/console/jobs", params={"state": "done"})
    assert r.status_code == 200 and "mail.send" in r.text and "1 / 6" in r.text
    assert "password/reset" not in r.text, "the reset link never shows in the operator's view"
