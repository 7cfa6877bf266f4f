"""The conditional-access process through its services (A20.1-A24.2, A34.1): rounds, deadlines on the working-day
calendar, illegal moves refused, the agreement and its signatures, grants, sanctions, bound keys, requests."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from kaifang.access import Delivery, services
from kaifang.access.agreement import CLAUSE_HEADINGS_ZH, digest
from kaifang.access.models import (
    AcceptanceRound,
    AccessApplication,
    AgreementSignature,
    Grant,
    UseAgreement,
)
from kaifang.access.queries import application_view, work_queue
from kaifang.access.schemas import ItemInput
from kaifang.accounts.apikeys import create_api_key, principal_for_key
from kaifang.datastore.reading import open_for_reading
from kaifang.errors import ValidationErrors
from kaifang.notify import my_notifications
from kaifang.security import ANONYMOUS, BusinessRuleError, NotFound, PermissionDenied
from kaifang.workflow import IllegalTransition, StatusChangedOutsideWorkflow, history
from tests.access.factories import (
    FIELDS,
    GRANTED,
    ROW_FILTER,
    accepted,
    application_input,
    approval,
    approved,
    conditional_register,
    in_force,
    people,
    submitted,
)
from tests.helpers import audit_events


def messages(session, principal) -> list[str]:
    """The msgids of the notifications ``principal`` has received, newest first."""
    return [n.message.msgid for n in my_notifications(session, principal, 1).items]


@pytest.fixture
def entry(session, settings, world, tmp_path):
    return conditional_register(session, settings, world, tmp_path)


@pytest.fixture
def who(session, world):
    return people(session, world)


# --- A20.1, A20.2: drafts, submission, acceptance rounds ----------------------------------------------

def test_a_draft_lists_what_is_missing_and_cannot_be_submitted_A20_1(session, who, entry):
    app = services.save_application(session, who.applicant, None, application_input(
        entry.id, reason="", scenario="", commitment=False))
    assert services.missing_elements(session, app) == ["Reason", "Application scenario", "Commitment"]
    with pytest.raises(BusinessRuleError) as exc:
        services.submit_application(session, who.applicant, app.id)
    assert exc.value.params["fields"] == ["Reason", "Application scenario", "Commitment"]
    assert session.get(AccessApplication, app.id).status == "draft"


def test_only_conditional_published_data_of_one_provider_is_applied_for_A20_1(session, settings, world, tmp_path,
                                                                              who, entry):
    other = conditional_register(session, settings, world, tmp_path, org="other_agency", name="昆山企业信息")
    open_entry = conditional_register(session, settings, world, tmp_path, open_class="unconditional", name="公开数据")
    with pytest.raises(ValidationErrors) as exc:
        services.save_application(session, who.applicant, None, application_input(entry.id, items=[
            *application_input(entry.id).items, *application_input(other.id).items,
            *application_input(open_entry.id).items]))
    assert "same provider" in exc.value.errors["items.1.entry_id"].msgid
    assert "Only conditionally open" in exc.value.errors["items.2.entry_id"].msgid
    with pytest.raises(ValidationErrors) as exc:
        services.save_application(session, who.applicant, None, application_input(
            entry.id, period_end=dt.date(2020, 1, 1)))
    assert set(exc.value.errors) == {"period_end"}


def test_not_accepted_with_every_reason_then_resubmitted_history_shows_each_round_A20_2(session, who, entry):
    app = submitted(session, who, entry.id)
    with pytest.raises(BusinessRuleError):
        services.not_accept_application(session, who.city_bureau, app.id, [], "")
    services.not_accept_application(session, who.city_bureau, app.id, ["scenario_unclear", "fields_excessive"],
                                    "请补充应用场景")
    assert session.get(AccessApplication, app.id).status == "not_accepted"
    with pytest.raises(IllegalTransition):  # the bureau cannot accept it now: the applicant corrects it first
        services.accept_application(session, who.city_bureau, app.id)
    services.save_application(session, who.applicant, app.id, application_input(
        entry.id, scenario="为昆山市产业政策评估提供数据支撑。"))
    services.submit_application(session, who.applicant, app.id)
    services.accept_application(session, who.city_bureau, app.id, "材料齐全")
    rounds = session.execute(select(AcceptanceRound).where(AcceptanceRound.application_id == app.id)
                             .order_by(AcceptanceRound.round)).scalars().all()
    assert [(r.round, r.outcome) for r in rounds] == [(1, "not_accepted"), (2, "accepted")]
    assert json.loads(rounds[0].reasons) == ["scenario_unclear", "fields_excessive"]
    assert json.loads(rounds[0].snapshot)["scenario"] == "为区域产业政策提供数据支撑。"
    assert json.loads(rounds[1].snapshot)["scenario"] == "为昆山市产业政策评估提供数据支撑。"
    view = application_view(session, who.applicant, app.id)
    assert [h.transition for h in view.history] == ["submit", "not_accept", "resubmit", "accept"]


def test_a_submitted_application_is_frozen_A20_1(session, who, entry):
    app = submitted(session, who, entry.id)
    with pytest.raises(BusinessRuleError):
        services.save_application(session, who.applicant, app.id, application_input(entry.id, title="改过的标题"))
    with pytest.raises(BusinessRuleError):
        services.add_attachment(session, who.applicant, app.id, "a.pdf", b"%PDF-1.4 x")


def test_attachments_are_checked_for_type_and_size_A20_1(session, who, entry):
    app = services.save_application(session, who.applicant, None, application_input(entry.id))
    row = services.add_attachment(session, who.applicant, app.id, "营业执照.pdf", b"%PDF-1.4 licence")
    assert row.content_type == "application/pdf" and row.size == 16
    for name, content in [("tool.exe", b"MZ..."), ("fake.pdf", b"MZ not a pdf"), ("empty.png", b""),
                          ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))]:
        with pytest.raises(BusinessRuleError) as exc:
            services.add_attachment(session, who.applicant, app.id, name, content)
        assert exc.value.field == "attachment"


# --- A20.3: deadlines on the working-day calendar ----------------------------------------------------

@pytest.mark.parametrize(("accepted_at", "due"), [
    # Wednesday 30 September 2026, the day before the National Day holiday: the 10 working days are 8, 9,
    # 10 (a make-up Saturday), 12-16, 19 and 20 October; the review ends at 24:00 on 20 October.
    (dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC), dt.datetime(2026, 10, 20, 16, 0, tzinfo=dt.UTC)),
    # Saturday 10 October 2026, a make-up working day: the day of acceptance never counts; 12-16 and 19-23.
    (dt.datetime(2026, 10, 10, 3, 0, tzinfo=dt.UTC), dt.datetime(2026, 10, 23, 16, 0, tzinfo=dt.UTC)),
], ids=["day-before-national-day", "make-up-saturday"])
def test_review_is_due_ten_working_days_after_acceptance_A20_3(session, who, entry, clock, accepted_at, due):
    app = submitted(session, who, entry.id)
    clock.set(accepted_at)
    services.accept_application(session, who.city_bureau, app.id)
    assert session.get(AccessApplication, app.id).due_at == due


def test_overdue_review_is_escalated_to_the_bureau_and_reminded_before_A20_3(session, who, entry, clock):
    app = accepted(session, who, entry.id)
    due = session.get(AccessApplication, app.id).due_at
    clock.set(due - dt.timedelta(hours=20))
    assert services.run_deadlines(session, who.city_bureau)["reminded"] == 1
    assert services.run_deadlines(session, who.city_bureau)["reminded"] == 0  # once
    clock.set(due + dt.timedelta(minutes=1))
    assert services.run_deadlines(session, who.city_bureau)["escalated"] == 1
    assert session.get(AccessApplication, app.id).escalated_at is not None
    to_bureau = [m for m in messages(session, who.city_bureau) if m.startswith("Overdue")]
    assert len(to_bureau) == 1
    assert services.run_deadlines(session, who.city_bureau)["escalated"] == 0  # once
    queue = work_queue(session, who.city_bureau, now=due + dt.timedelta(minutes=1))
    assert queue[0].app.id == app.id and queue[0].overdue
    # Both are moves of the process that keep its state and its deadline, with history and audit (the system's).
    steps = [(h.transition, h.to_state, h.actor_label) for h in history(session, app)][-2:]
    assert steps == [("remind", "accepted", "system"), ("escalate", "accepted", "system")]
    assert [e.after["due_at"] for e in audit_events(session, "access_application.escalate")] == [due.isoformat()]
    assert session.get(AccessApplication, app.id).due_at == due


# --- illegal moves -----------------------------------------------------------------------------------

def test_approving_twice_is_refused_A20_3(session, who, entry):
    app = approved(session, who, entry.id)
    with pytest.raises(IllegalTransition):
        services.approve_application(session, who.staff, app.id, approval(entry.id))


def test_signing_before_approval_is_refused_A21_1(session, who, entry):
    app = accepted(session, who, entry.id)
    with pytest.raises(IllegalTransition):
        services.sign_agreement(session, who.applicant, app.id, "applicant", "0" * 64)


def test_review_by_another_agency_or_region_is_refused_A20_3(session, who, entry):
    app = accepted(session, who, entry.id)
    for outsider in (who.other_staff, who.district_bureau, who.other_user):
        with pytest.raises((NotFound, PermissionDenied)):
            services.approve_application(session, outsider, app.id, approval(entry.id))
        with pytest.raises((NotFound, PermissionDenied)):
            services.refuse_application(session, outsider, app.id, "不同意", "《苏州市公共数据开放实施细则》")
    with pytest.raises(PermissionDenied):  # the applicant cannot review their own application
        services.approve_application(session, who.applicant, app.id, approval(entry.id))
    with pytest.raises(PermissionDenied):  # nor can the bureau decide for the provider
        services.approve_application(session, who.city_bureau, app.id, approval(entry.id))
    assert session.get(AccessApplication, app.id).status == "accepted"


def test_acceptance_only_by_the_bureau_of_the_providers_region_A20_2(session, who, entry):
    app = submitted(session, who, entry.id)
    for outsider in (who.district_bureau, who.staff, who.applicant):
        with pytest.raises((NotFound, PermissionDenied)):
            services.accept_application(session, outsider, app.id)
    assert session.get(AccessApplication, app.id).status == "submitted"


def test_refusal_needs_reasons_and_the_legal_basis_A20_3(session, who, entry):
    app = accepted(session, who, entry.id)
    with pytest.raises(ValidationErrors) as exc:
        services.refuse_application(session, who.staff, app.id, "数据涉及商业秘密", "")
    assert set(exc.value.errors) == {"legal_basis"}
    services.refuse_application(session, who.staff, app.id, "数据涉及商业秘密",
                                "《中华人民共和国数据安全法》第三十八条")
    assert session.get(AccessApplication, app.id).status == "refused"


def test_approval_scope_is_checked_against_the_data_items_A20_3(session, who, entry):
    app = accepted(session, who, entry.id)
    bad = approval(entry.id)
    bad.items[0].row_filter = "no_such_column=1"
    with pytest.raises(ValidationErrors) as exc:
        services.approve_application(session, who.staff, app.id, bad)
    problem = exc.value.errors[f"items.{entry.id}.row_filter"]
    assert problem.msgid == "Unknown column: %(column)s" and problem.params["column"] == "no_such_column"
    assert session.get(AccessApplication, app.id).status == "accepted"


# --- A21.1: the agreement and the signatures ---------------------------------------------------------

def test_agreement_has_every_clause_filled_with_the_approved_scope_A21_1(session, who, entry):
    app = approved(session, who, entry.id)
    agreement = session.execute(select(UseAgreement).where(UseAgreement.application_id == app.id)).scalar_one()
    for heading in CLAUSE_HEADINGS_ZH.values():
        assert heading in agreement.text
    assert "企业名称（name）、所属区县（district）、从业人数（employees）" in agreement.text
    assert ROW_FILTER in agreement.text and "legal_person" not in agreement.text
    assert agreement.sha256 == digest(agreement.text)


def test_access_starts_only_when_both_have_signed_the_exact_text_A21_1(session, who, entry):
    app = approved(session, who, entry.id)
    sha = session.execute(select(UseAgreement.sha256).where(UseAgreement.application_id == app.id)).scalar_one()
    with pytest.raises(BusinessRuleError):
        services.sign_agreement(session, who.applicant, app.id, "applicant", "f" * 64)
    with pytest.raises(BusinessRuleError):  # only the applicant signs for the applicant
        services.sign_agreement(session, who.staff, app.id, "applicant", sha)
    services.sign_agreement(session, who.applicant, app.id, "applicant", sha)
    assert not open_for_reading(session, who.applicant, entry.id, Delivery.DOWNLOAD, "test").readable
    with pytest.raises(BusinessRuleError):
        services.sign_agreement(session, who.applicant, app.id, "applicant", sha)
    services.sign_agreement(session, who.cdo, app.id, "provider", sha)
    assert session.get(AccessApplication, app.id).status == "in_force"
    signatures = session.execute(select(AgreementSignature)).scalars().all()
    assert {(s.side, s.sha256) for s in signatures} == {("applicant", sha), ("provider", sha)}
    readable = open_for_reading(session, who.applicant, entry.id, Delivery.DOWNLOAD, "test").unwrap()
    assert readable.projection.columns == tuple(GRANTED)
    assert [(f.field, f.value) for f in readable.projection.row_filters] == [("district", "昆山市")]


def test_template_needs_every_clause_and_known_placeholders_A21_1(session, who):
    from kaifang.access.agreement import DEFAULT_CLAUSES

    with pytest.raises(BusinessRuleError) as exc:
        services.save_template(session, who.operator, "协议", {**DEFAULT_CLAUSES, "credit": " "})
    assert exc.value.field == "credit"
    with pytest.raises(BusinessRuleError) as exc:
        services.save_template(session, who.operator, "协议", {**DEFAULT_CLAUSES, "purpose": "用于{secret}"})
    assert exc.value.field == "purpose"
    with pytest.raises(PermissionDenied):
        services.save_template(session, who.city_bureau, "协议", DEFAULT_CLAUSES)
    row = services.save_template(session, who.operator, "利用协议（2027版）", DEFAULT_CLAUSES)
    assert row.version == 1 and services.current_template(session)[1] == "利用协议（2027版）"


# --- A20.4, A21.1, A34.1: grants stop on the next request ---------------------------------------------

def test_period_end_stops_reads_and_the_daily_run_expires_the_agreement_A21_1(session, who, entry, clock):
    app = in_force(session, who, entry.id)
    grant = session.execute(select(Grant).where(Grant.application_id == app.id)).scalar_one()
    clock.set(grant.ends_at - dt.timedelta(seconds=1))
    assert open_for_reading(session, who.applicant, entry.id, Delivery.API, "test").readable
    clock.set(grant.ends_at)
    assert open_for_reading(session, who.applicant, entry.id, Delivery.API, "test").refused
    assert services.run_deadlines(session, who.city_bureau)["expired"] == 1
    assert session.get(AccessApplication, app.id).status == "expired"
    assert session.get(Grant, grant.id).state == "expired"


def test_revocation_stops_reads_at_once_A20_4(session, who, entry):
    app = in_force(session, who, entry.id)
    services.revoke_application(session, who.cdo, app.id, "超出批准用途使用数据")
    assert open_for_reading(session, who.applicant, entry.id, Delivery.API, "test").refused


def test_sanction_stops_grants_and_keys_and_lifting_restores_grants_A34_1(session, who, entry):
    app = in_force(session, who, entry.id)
    new_key = create_api_key(session, who.applicant, "研究脚本")
    sanction = services.impose_sanction(session, who.city_bureau, who.applicant.user_id, "restrict",
                                        "向第三方提供数据", public=True)
    assert open_for_reading(session, who.applicant, entry.id, Delivery.API, "test").refused
    assert principal_for_key(session, ANONYMOUS, new_key.plaintext) is None
    assert session.execute(select(Grant.state)).scalar_one() == "suspended"
    with pytest.raises(BusinessRuleError):  # no new application while restricted
        services.save_application(session, who.applicant, None, application_input(entry.id))
    services.lift_sanction(session, who.city_bureau, sanction.id, "已整改")
    assert session.execute(select(Grant.state)).scalar_one() == "active"
    assert open_for_reading(session, who.applicant, entry.id, Delivery.API, "test").readable
    assert session.get(AccessApplication, app.id).status == "in_force"


def test_provider_sanctions_only_on_its_own_data_and_the_city_bureau_platform_wide_A34_1(session, world, who,
                                                                                          entry):
    with pytest.raises(BusinessRuleError):
        services.impose_sanction(session, who.cdo, who.applicant.user_id, "close", "违规")
    with pytest.raises(PermissionDenied):
        services.impose_sanction(session, who.cdo, who.applicant.user_id, "close", "违规",
                                 org_id=world.orgs["other_agency"])
    row = services.impose_sanction(session, who.cdo, who.applicant.user_id, "restrict", "违规",
                                   org_id=world.orgs["agency"])
    assert row.org_id == world.orgs["agency"]


def test_closure_stops_every_read_even_of_open_data_A34_1(session, settings, world, tmp_path, who):
    open_entry = conditional_register(session, settings, world, tmp_path, open_class="unconditional", name="公开数据")
    assert open_for_reading(session, who.applicant, open_entry.id, Delivery.API, "test").readable
    services.impose_sanction(session, who.city_bureau, who.applicant.user_id, "close", "恶意爬取")
    assert open_for_reading(session, who.applicant, open_entry.id, Delivery.API, "test").refused


def test_a_key_bound_to_a_grant_reads_only_that_grant_A20_4(session, settings, world, tmp_path, who, entry):
    open_entry = conditional_register(session, settings, world, tmp_path, open_class="unconditional", name="公开数据")
    app = in_force(session, who, entry.id)
    grant = session.execute(select(Grant).where(Grant.application_id == app.id)).scalar_one()
    new_key = create_api_key(session, who.applicant, "绑定")
    services.bind_key_to_grant(session, who.applicant, new_key.key.id, grant.id)
    caller = principal_for_key(session, ANONYMOUS, new_key.plaintext).principal
    assert caller.bound_grant_id == grant.id
    assert open_for_reading(session, caller, entry.id, Delivery.API, "test").readable
    assert open_for_reading(session, caller, open_entry.id, Delivery.API, "test").refused
    with pytest.raises(NotFound):  # nobody binds a key to someone else's grant
        services.bind_key_to_grant(session, who.other_user, new_key.key.id, grant.id)
    services.revoke_application(session, who.cdo, app.id, "协议终止")
    assert open_for_reading(session, caller, entry.id, Delivery.API, "test").refused


# --- A23.1, A24.2 ------------------------------------------------------------------------------------

def test_out_of_catalog_request_is_routed_and_answered_within_ten_working_days_A23_1(session, who, world,
                                                                                     clock):
    req = services.submit_request(session, who.other_user, "公共自行车站点实时数据", "站点位置、可借车辆数", "出行应用")
    clock.set(dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC))
    with pytest.raises((NotFound, PermissionDenied)):
        services.route_request(session, who.staff, req.id, world.orgs["agency"])
    services.route_request(session, who.city_bureau, req.id, world.orgs["agency"])
    assert req.due_at == dt.datetime(2026, 10, 20, 16, 0, tzinfo=dt.UTC)
    with pytest.raises((NotFound, PermissionDenied)):
        services.answer_request(session, who.other_staff, req.id, "will_open", "将开放")
    services.answer_request(session, who.staff, req.id, "will_open", "将于下月纳入开放目录。")
    assert (req.status, req.outcome) == ("answered", "will_open")
    with pytest.raises(IllegalTransition):
        services.answer_request(session, who.staff, req.id, "exists", "again")


def test_results_of_use_are_reported_against_an_agreement_in_force_A24_2(session, who, entry):
    app = approved(session, who, entry.id)
    with pytest.raises(BusinessRuleError):
        services.report_result(session, who.applicant, app.id, "report", "昆山中小企业发展报告")
    app = in_force(session, who, entry.id)
    with pytest.raises(ValidationErrors):
        services.report_result(session, who.applicant, app.id, "report", "报告", url="javascript:alert(1)")
    row = services.report_result(session, who.applicant, app.id, "report", "昆山中小企业发展报告",
                                 url="https://example.cn/report")
    assert row.application_id == app.id


def test_every_transition_is_audited(session, who, entry):
    app = in_force(session, who, entry.id)
    actions = [e.action for e in audit_events(session, object_type="access_application", object_id=app.id)]
    assert [a for a in actions if a.startswith("access_application.")] == [
        "access_application.submit", "access_application.accept", "access_application.approve",
        "access_application.sign_applicant", "access_application.sign_provider", "access_application.take_effect"]


def test_all_eight_fields_are_offered_and_three_granted(session, who, entry):
    app = in_force(session, who, entry.id)
    view = application_view(session, who.applicant, app.id)
    assert view.items[0].fields == FIELDS and view.items[0].approved_fields == GRANTED


def test_each_step_notifies_in_the_platform_and_by_mail(session, who, world, entry, mailbox):
    """Queues and notifications: the bureau learns of a submission, the provider of an acceptance (with the due
    date), the applicant of each answer; in the platform and by e-mail, in the recipient's language."""
    import time

    app = accepted(session, who, entry.id)
    assert "New application for conditional data: %(title)s" in messages(session, who.city_bureau)
    assert "Application accepted, please review it by %(due)s: %(title)s" in messages(session, who.staff)
    assert "Your application has been accepted and passed to the provider: %(title)s" in messages(session,
                                                                                                  who.applicant)
    assert messages(session, who.district_bureau) == [], "a city agency's application is not Kunshan's"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not mailbox.to(world.emails["provider_staff"]):
        time.sleep(0.05)
    mail = mailbox.to(world.emails["provider_staff"])
    assert mail and "请于" in mail[0]["Subject"] and app.title in mail[0]["Subject"]
    assert f"/console/access/{app.id}" in mail[0].get_content()


def test_an_unanswered_request_is_escalated_once_when_overdue_A23_1(session, who, world, clock):
    req = services.submit_request(session, who.other_user, "公共自行车站点实时数据", "站点位置", "出行应用")
    services.route_request(session, who.city_bureau, req.id, world.orgs["agency"])
    clock.set(req.due_at + dt.timedelta(minutes=1))
    assert services.run_deadlines(session, who.city_bureau)["requests_escalated"] == 1
    assert services.run_deadlines(session, who.city_bureau)["requests_escalated"] == 0
    assert req.escalated_at is not None


def test_a_draft_is_the_applicants_own_until_submitted_A20_1(session, who, entry):
    from kaifang.access.queries import list_applications

    app = services.save_application(session, who.applicant, None, application_input(entry.id))
    for staff in (who.staff, who.city_bureau, who.supervisor):
        with pytest.raises(NotFound):
            application_view(session, staff, app.id)
        assert app.id not in {a.id for a in list_applications(session, staff).items}
    services.submit_application(session, who.applicant, app.id)
    assert application_view(session, who.staff, app.id).app.id == app.id


def test_long_texts_are_refused_with_the_field_named_A20_1(session, who, entry):
    with pytest.raises(ValidationErrors) as exc:
        services.save_application(session, who.applicant, None, application_input(entry.id, reason="长" * 5001))
    assert set(exc.value.errors) == {"reason"}
    assert exc.value.errors["reason"].params == {"n": 5000}  # the limit is a parameter, not part of the msgid
    with pytest.raises(ValidationErrors) as exc:
        services.save_application(session, who.applicant, None, application_input(
            entry.id, items=[ItemInput(entry.id, ["name"])] * 21))
    assert exc.value.errors["items"].params == {"n": 20}


# --- A20.4, A34.1: a grant moves only through its workflow ---------------------------------------------

def test_a_grant_is_suspended_resumed_and_revoked_through_its_workflow_with_history_A34_1(session, who, entry):
    app = in_force(session, who, entry.id)
    grant = session.execute(select(Grant).where(Grant.application_id == app.id)).scalar_one()
    sanction = services.impose_sanction(session, who.city_bureau, who.applicant.user_id, "restrict", "违规转售")
    assert (grant.state, grant.state_reason) == ("suspended", f"sanction:{sanction.id}")
    services.lift_sanction(session, who.city_bureau, sanction.id, "已整改")
    services.revoke_application(session, who.cdo, app.id, "协议终止")
    assert [(h.from_state, h.transition, h.to_state) for h in history(session, grant)] == [
        ("active", "suspend", "suspended"), ("suspended", "resume", "active"), ("active", "revoke", "revoked")]
    assert [e.action for e in audit_events(session, object_type="access_grant", object_id=grant.id)] == [
        "access.grant_started", "access_grant.suspend", "access_grant.resume", "access_grant.revoke"]
    with pytest.raises(StatusChangedOutsideWorkflow):
        grant.state = "active"
        session.flush()


def test_expiry_ends_a_suspended_grant_too_A21_1(session, who, entry, clock):
    app = in_force(session, who, entry.id)
    grant = session.execute(select(Grant).where(Grant.application_id == app.id)).scalar_one()
    services.impose_sanction(session, who.city_bureau, who.applicant.user_id, "restrict", "违规")
    clock.set(grant.ends_at)
    assert services.run_deadlines(session, who.city_bureau)["expired"] == 1
    assert grant.state == "expired" and [h.transition for h in history(session, grant)] == ["suspend", "expire"]
