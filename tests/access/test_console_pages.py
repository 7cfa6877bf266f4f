"""The staff's console of conditional access over HTTP (A20.2 受理, A20.3 审核, A21.1 利用协议, A23.1 目录外需求,
A34.1 限制或关闭): each role's queue, the forms of every move, and every refusal shown in Chinese next to its
form, with nothing changed."""

from __future__ import annotations

import ast
import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import kaifang
from kaifang.access import services
from kaifang.access.agreement import CLAUSES, DEFAULT_CLAUSES
from kaifang.access.models import (
    AcceptanceRound,
    AccessApplication,
    AgreementSignature,
    AgreementTemplate,
    ApplicationItem,
    DataRequest,
    Grant,
    Sanction,
    UseAgreement,
)
from kaifang.access.schemas import NOT_ACCEPTED_REASONS, REQUEST_OUTCOMES
from kaifang.db import utcnow
from kaifang.i18n import LOCALE_DIR, gettext_in, translations
from kaifang.web.console import MENU
from tests.access.factories import (
    GRANTED,
    ROW_FILTER,
    accepted,
    approved,
    conditional_register,
    people,
    submitted,
    today,
)
from tests.personas import World, csrf_from, login, post_form

PKG = Path(kaifang.__file__).resolve().parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(msgid: str, **params: object) -> str:
    """The Chinese text the page must show for ``msgid`` (translated by whichever catalog defines it)."""
    text = gettext_in("zh_CN", msgid)
    assert CJK.search(text), f"no Chinese translation of {msgid!r}"
    return text % params if params else text


def sign_in_as(client: TestClient, world: World, persona: str) -> None:
    client.cookies.clear()
    login(client, world.emails[persona])


def text_of(response) -> str:
    return html.unescape(response.text)


def block(page: str, element_id: str) -> str:
    """The text of the element with this id, up to its closing tag of the same name (no nesting of that tag)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"no element #{element_id}"
    return match.group(2)


def act(client: TestClient, app_id: int, action: str, data: dict):
    return post_form(client, f"/console/access/{app_id}/{action}", data, token_from=f"/console/access/{app_id}")


@pytest.fixture
def entry(session: Session, settings, world: World, tmp_path):
    return conditional_register(session, settings, world, tmp_path)


@pytest.fixture
def who(session: Session, world: World):
    return people(session, world)


def _status(session: Session, app_id: int) -> str:
    session.expire_all()
    return session.get(AccessApplication, app_id).status


# --- the bureau: acceptance (A20.2) -------------------------------------------------------------------

def test_a20_2_the_bureau_finds_a_submitted_application_in_its_queue_and_accepts_it(
        client: TestClient, world: World, session: Session, entry, who) -> None:
    app = submitted(session, who, entry.id)
    sign_in_as(client, world, "city_bureau")
    listing = client.get("/console/access")
    assert listing.status_code == 200
    queue = html.unescape(block(listing.text, "work-queue"))
    assert app.title in queue and zh("Check the materials and accept") in queue
    assert "条件开放" in text_of(listing) or zh("Conditional access") in text_of(listing)  # the menu, in Chinese

    detail = text_of(client.get(f"/console/access/{app.id}"))
    for shown in (app.title, "开展昆山市中小企业发展研究。", "研究报告一份", "统一社会信用代码", "法定代表人",
                  "企业名称"):
        assert shown in detail
    response = act(client, app.id, "accept", {"note": "材料齐全"})
    assert response.status_code == 303 and response.headers["location"] == f"/console/access/{app.id}"
    assert _status(session, app.id) == "accepted"
    page = text_of(client.get(f"/console/access/{app.id}"))
    assert zh("Accepted, under review") in page and 'id="due"' in page
    assert session.get(AccessApplication, app.id).due_at is not None

    # Accepting again is refused with the state named in Chinese, next to nothing changed.
    again = act(client, app.id, "accept", {"note": ""})
    assert again.status_code == 400
    assert zh("Accepted, under review") in html.unescape(again.text)


def test_a20_2_not_accepted_with_two_reasons_told_at_once(client: TestClient, world: World, session: Session,
                                                          entry, who) -> None:
    app = submitted(session, who, entry.id)
    sign_in_as(client, world, "city_bureau")
    response = act(client, app.id, "not-accept", {"reasons": ["title_unclear", "period_unreasonable"],
                                                  "note": "请补充说明"})
    assert response.status_code == 303, response.text[:2000]
    assert _status(session, app.id) == "not_accepted"
    rnd = session.execute(select(AcceptanceRound).where(AcceptanceRound.application_id == app.id)).scalar_one()
    assert json.loads(rnd.reasons) == ["title_unclear", "period_unreasonable"]
    rounds = html.unescape(block(client.get(f"/console/access/{app.id}").text, "rounds"))
    assert zh(NOT_ACCEPTED_REASONS["title_unclear"]) in rounds
    assert zh(NOT_ACCEPTED_REASONS["period_unreasonable"]) in rounds and "请补充说明" in rounds


def test_a20_2_not_accepting_without_a_reason_is_refused_in_chinese(client: TestClient, world: World,
                                                                    session: Session, entry, who) -> None:
    app = submitted(session, who, entry.id)
    sign_in_as(client, world, "city_bureau")
    response = act(client, app.id, "not-accept", {"note": "请补充"})
    assert response.status_code == 400
    assert html.unescape(block(response.text, "e-reasons")) == zh("Tick every reason that applies (at least one).")
    assert 'id="problem-not_accept"' in response.text
    assert "请补充" in response.text  # what was typed stays in the form
    assert _status(session, app.id) == "submitted"


# --- the provider: review, agreement, signature (A20.3, A21.1) --------------------------------------------

def _approval_form(entry_id: int, **overrides: object) -> dict:
    data: dict = {"purpose": "昆山市中小企业发展研究", "deliveries": ["download", "api"],
                  "period_start": today().isoformat(), "period_end": (today() + dt.timedelta(days=90)).isoformat(),
                  f"fields_{entry_id}": list(GRANTED), f"row_filter_{entry_id}": ROW_FILTER}
    data.update(overrides)
    return data


def test_a20_3_the_provider_approves_three_data_items_and_a_row_condition(client: TestClient, world: World,
                                                                          session: Session, entry, who) -> None:
    app = accepted(session, who, entry.id)
    sign_in_as(client, world, "provider_staff")
    queue = html.unescape(block(client.get("/console/access").text, "work-queue"))
    assert app.title in queue and zh("Review within 10 working days") in queue
    form = client.get(f"/console/access/{app.id}").text
    assert f'name="fields_{entry.id}" value="phone"' in form and f'id="row_filter_{entry.id}"' in form
    assert "district=昆山市&amp;employees__gte=10" in form  # the syntax is explained next to the input

    response = act(client, app.id, "approve", _approval_form(entry.id))
    assert response.status_code == 303, html.unescape(response.text)[:3000]
    assert _status(session, app.id) == "approved"
    item = session.execute(select(ApplicationItem).where(ApplicationItem.application_id == app.id)).scalar_one()
    assert json.loads(item.approved_fields) == GRANTED and item.row_filter == ROW_FILTER
    agreement = session.execute(select(UseAgreement).where(UseAgreement.application_id == app.id)).scalar_one()
    page = client.get(f"/console/access/{app.id}").text
    assert agreement.sha256 in page and "苏州市公共数据利用协议" in page
    assert html.unescape(block(page, "agreement-text")) == agreement.text


def test_a20_3_a_bad_row_condition_is_named_at_its_input_and_nothing_changes(
        client: TestClient, world: World, session: Session, entry, who) -> None:
    app = accepted(session, who, entry.id)
    sign_in_as(client, world, "provider_cdo")
    response = act(client, app.id, "approve", _approval_form(entry.id, **{f"row_filter_{entry.id}": "county=昆山市"}))
    assert response.status_code == 400
    message = html.unescape(block(response.text, f"e-row_filter_{entry.id}"))
    assert message == zh("Unknown column: %(column)s", column="county")
    # The form keeps what was sent.
    assert 'value="county=昆山市"' in html.unescape(response.text)
    assert 'value="昆山市中小企业发展研究"' not in response.text  # a textarea, not an attribute
    assert "昆山市中小企业发展研究</textarea>" in response.text
    assert _status(session, app.id) == "accepted"
    assert session.execute(select(func.count()).select_from(UseAgreement)
                           .where(UseAgreement.application_id == app.id)).scalar_one() == 0


def test_a20_3_an_empty_approval_names_each_missing_element(client: TestClient, world: World, session: Session,
                                                            entry, who) -> None:
    app = accepted(session, who, entry.id)
    sign_in_as(client, world, "provider_staff")
    response = act(client, app.id, "approve", {"purpose": "", "period_start": "2026-13-01", "period_end": "",
                                                f"row_filter_{entry.id}": ""})
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert html.unescape(block(response.text, "e-purpose")) == zh("State the approved purpose of use.")
    assert html.unescape(block(response.text, "e-deliveries")) == zh(
        "Choose at least one way of delivering the data.")
    assert html.unescape(block(response.text, "e-period_start")) == zh(
        "This is not a valid date: write it as YYYY-MM-DD.")
    assert zh("Please correct the marked fields.") in page
    assert _status(session, app.id) == "accepted"


def test_a20_3_staff_of_another_agency_is_told_the_application_does_not_exist(
        client: TestClient, world: World, session: Session, entry, who) -> None:
    app = accepted(session, who, entry.id)
    sign_in_as(client, world, "other_provider_staff")
    assert client.get(f"/console/access/{app.id}").status_code == 404
    token = csrf_from(client, "/console/access")
    response = client.post(f"/console/access/{app.id}/approve", data={**_approval_form(entry.id), "csrf_token": token})
    assert response.status_code == 404
    assert app.title not in client.get("/console/access").text
    assert _status(session, app.id) == "accepted"


def test_a21_1_the_provider_signs_the_agreement_shown_and_it_comes_into_force(
        client: TestClient, world: World, session: Session, entry, who) -> None:
    app = approved(session, who, entry.id)
    agreement = session.execute(select(UseAgreement).where(UseAgreement.application_id == app.id)).scalar_one()
    services.sign_agreement(session, who.applicant, app.id, "applicant", agreement.sha256)
    sign_in_as(client, world, "provider_cdo")
    queue = html.unescape(block(client.get("/console/access").text, "work-queue"))
    assert app.title in queue and zh("Sign the use agreement for the provider") in queue
    page = client.get(f"/console/access/{app.id}").text
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)
    assert sha == agreement.sha256

    # A text other than the one shown is refused.
    wrong = act(client, app.id, "sign", {"sha256": "0" * 64})
    assert wrong.status_code == 400 and 'id="problem-sign"' in wrong.text
    assert session.execute(select(func.count()).select_from(AgreementSignature).where(
        AgreementSignature.agreement_id == agreement.id)).scalar_one() == 1

    response = act(client, app.id, "sign", {"sha256": sha})
    assert response.status_code == 303, html.unescape(response.text)[:3000]
    assert _status(session, app.id) == "in_force"
    signature = session.execute(select(AgreementSignature).where(AgreementSignature.agreement_id == agreement.id,
                                                                 AgreementSignature.side == "provider")).scalar_one()
    assert signature.sha256 == sha and signature.org_name == "苏州市交通运输局(测试)"
    grant = session.execute(select(Grant).where(Grant.application_id == app.id)).scalar_one()
    assert json.loads(grant.columns) == GRANTED and grant.row_filter == ROW_FILTER
    done = text_of(client.get(f"/console/access/{app.id}"))
    assert zh("In force") in done and 'id="grants"' in done and "/revoke" in done


def test_a20_2_a_district_bureau_does_not_see_an_application_to_a_city_agency(
        client: TestClient, world: World, session: Session, entry, who) -> None:
    app = submitted(session, who, entry.id)
    sign_in_as(client, world, "district_bureau")
    assert client.get(f"/console/access/{app.id}").status_code == 404
    listing = client.get("/console/access")
    assert listing.status_code == 200 and app.title not in listing.text
    token = csrf_from(client, "/console/access")
    assert client.post(f"/console/access/{app.id}/accept", data={"csrf_token": token}).status_code == 404
    assert _status(session, app.id) == "submitted"


def test_a20_3_an_overdue_review_is_listed_first(client: TestClient, world: World, session: Session, entry,
                                                 who) -> None:
    first = accepted(session, who, entry.id)
    late = accepted(session, who, entry.id)
    session.execute(update(AccessApplication).where(AccessApplication.id == late.id)
                    .values(due_at=utcnow() - dt.timedelta(days=7)))  # test set-up: the deadline has passed
    session.commit()
    sign_in_as(client, world, "provider_staff")
    queue = block(client.get("/console/access").text, "work-queue")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", queue.split("<tbody>", 1)[1], re.S)
    assert f"/console/access/{late.id}" in rows[0] and f"/console/access/{first.id}" in rows[1]
    assert 'class="overdue"' in queue and zh("Past the deadline") in html.unescape(rows[0])
    assert zh("Past the deadline") not in html.unescape(rows[1])


# --- out-of-catalog requests (A23.1) ----------------------------------------------------------------

def test_a23_1_a_request_is_routed_by_the_bureau_and_answered_by_the_agency(
        client: TestClient, world: World, session: Session, who) -> None:
    req = services.submit_request(session, who.other_user, "全市共享单车停放点位", "各区共享单车停放点位的坐标和容量。",
                                  "出行研究")
    sign_in_as(client, world, "city_bureau")
    assert "全市共享单车停放点位" in client.get("/console/access/requests").text
    path = f"/console/access/requests/{req.id}"
    refused = post_form(client, f"{path}/route", {"org_id": "", "note": ""}, token_from=path)
    assert refused.status_code == 400
    assert html.unescape(block(refused.text, "e-org_id")) == zh("Choose the agency that holds the data.")
    routed = post_form(client, f"{path}/route", {"org_id": str(world.orgs["agency"]), "note": "请答复"},
                       token_from=path)
    assert routed.status_code == 303, html.unescape(routed.text)[:3000]
    session.expire_all()
    assert session.get(DataRequest, req.id).status == "routed"

    sign_in_as(client, world, "provider_staff")
    assert "全市共享单车停放点位" in client.get("/console/access/requests").text
    page = text_of(client.get(path))
    assert "各区共享单车停放点位的坐标和容量。" in page and zh(REQUEST_OUTCOMES["will_open"]) in page
    answered = post_form(client, f"{path}/answer", {"outcome": "will_open", "answer": "将于下月开放", "entry_id": ""},
                         token_from=path)
    assert answered.status_code == 303, html.unescape(answered.text)[:3000]
    session.expire_all()
    row = session.get(DataRequest, req.id)
    assert (row.status, row.outcome, row.answer) == ("answered", "will_open", "将于下月开放")
    assert "将于下月开放" in client.get(path).text


def test_a23_1_other_agencies_do_not_see_a_routed_request(client: TestClient, world: World, session: Session,
                                                          who) -> None:
    req = services.submit_request(session, who.other_user, "公交实时到站", "公交车辆实时位置。", "出行研究")
    services.route_request(session, who.city_bureau, req.id, world.orgs["agency"])
    sign_in_as(client, world, "other_provider_staff")
    assert client.get(f"/console/access/requests/{req.id}").status_code == 404
    assert "公交实时到站" not in client.get("/console/access/requests").text


# --- sanctions (A34.1) ------------------------------------------------------------------------------

def test_a34_1_the_bureau_imposes_and_lifts_a_sanction(client: TestClient, world: World, session: Session) -> None:
    sign_in_as(client, world, "city_bureau")
    path = "/console/access/sanctions"
    unknown = post_form(client, path, {"email": "nobody@example.cn", "kind": "restrict", "reason": "违规"})
    assert unknown.status_code == 400 and 'id="e-email"' in unknown.text
    no_reason = post_form(client, path, {"email": world.emails["company"], "kind": "close", "reason": ""})
    assert no_reason.status_code == 400
    assert html.unescape(block(no_reason.text, "e-reason")) == zh(
        "State the violation and the reason for the sanction.")
    assert session.execute(select(func.count()).select_from(Sanction)).scalar_one() == 0

    imposed = post_form(client, path, {"email": world.emails["company"], "kind": "close", "org_id": "",
                                       "reason": "超出批准用途使用数据", "public": "on"})
    assert imposed.status_code == 303, html.unescape(imposed.text)[:3000]
    sanction = session.execute(select(Sanction)).scalar_one()
    assert (sanction.user_id, sanction.kind, sanction.org_id, sanction.public) == (
        world.users["company"], "close", None, True)
    listed = text_of(client.get(path))
    assert "超出批准用途使用数据" in listed and zh("The whole platform") in listed

    lifted = post_form(client, f"{path}/{sanction.id}/lift", {"reason": "已整改"}, token_from=path)
    assert lifted.status_code == 303
    session.expire_all()
    assert session.get(Sanction, sanction.id).lifted_at is not None
    assert "已整改" in client.get(path).text


def test_a34_1_a_chief_data_officer_sanctions_only_for_the_agency_data(client: TestClient, world: World,
                                                                        session: Session) -> None:
    sign_in_as(client, world, "provider_cdo")
    page = client.get("/console/access/sanctions").text
    assert 'value=""' not in block(page, "sanction-org")  # no platform-wide choice
    response = post_form(client, "/console/access/sanctions", {
        "email": world.emails["citizen"], "kind": "restrict", "reason": "违规转让数据",
        "org_id": str(world.orgs["agency"])})
    assert response.status_code == 303
    assert session.execute(select(Sanction.org_id)).scalar_one() == world.orgs["agency"]


# --- the use agreement template (A21.1) ----------------------------------------------------------------

def test_a21_1_the_operator_edits_the_template_and_an_empty_clause_is_refused(
        client: TestClient, world: World, session: Session) -> None:
    sign_in_as(client, world, "operator")
    path = "/console/access/template"
    page = text_of(client.get(path))
    assert "{datasets}" in page and DEFAULT_CLAUSES["scope"].split("\n")[0] in page
    form = {"title": "苏州市公共数据利用协议（2026版）", **{f"clause_{k}": v for k, v in DEFAULT_CLAUSES.items()}}
    refused = post_form(client, path, {**form, "clause_scope": "  "})
    assert refused.status_code == 400
    message = html.unescape(block(refused.text, "e-clause_scope"))
    assert message == zh("Every clause of the agreement must be written: %(clause)s is empty.",
                         clause=zh(CLAUSES["scope"]))
    assert session.execute(select(func.count()).select_from(AgreementTemplate)).scalar_one() == 0

    unknown = post_form(client, path, {**form, "clause_credit": "乙方{promise}"})
    assert unknown.status_code == 400 and "promise" in html.unescape(block(unknown.text, "e-clause_credit"))

    saved = post_form(client, path, {**form, "clause_credit": "乙方承诺守信。"})
    assert saved.status_code == 303
    row = session.execute(select(AgreementTemplate)).scalar_one()
    assert row.version == 1 and json.loads(row.clauses)["credit"] == "乙方承诺守信。"
    assert "乙方承诺守信。" in client.get(path).text


# --- translations ------------------------------------------------------------------------------------

_TEMPLATE_CALL = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")
CONSOLE_PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "access_console.po"


def _console_msgids() -> dict[str, str]:
    """The literal msgids of the console pages and of their route modules (sentences: a capital, a space); the
    domain's labels, states and errors they show are checked with the applicant pages."""
    found: dict[str, str] = {}
    for path in sorted((PKG / "access" / "templates" / "access").glob("console_*.html")):
        for m in _TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(re.sub(r"\\(.)", r"\1", m.group(1) if m.group(1) is not None else m.group(2)), path.name)
    routes = PKG / "access" / "routes"
    for module in [*sorted(routes.glob("console*.py")), routes / "sanctions.py"]:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and node.value[:1].isupper() and " " in node.value):
                found.setdefault(node.value, module.name)
    for item in MENU:
        if item.href.startswith("/console/access"):
            found.setdefault(item.label, "MENU")
    return found


def test_every_console_msgid_has_a_chinese_translation_with_its_placeholders() -> None:
    found = _console_msgids()
    assert {"Waiting for you", "Sanctions", "Rows approved (optional)",
            "The application has been accepted and passed to the provider."} <= set(found)
    zh_catalog = translations("zh_CN")
    assert sorted(f"{w}: {m!r}" for m, w in found.items() if zh_catalog.gettext(m) == m) == []
    wrong = [m for m in found if set(_PLACEHOLDER.findall(zh_catalog.gettext(m))) != set(_PLACEHOLDER.findall(m))
             or "%" in _PLACEHOLDER.sub("", zh_catalog.gettext(m)).replace("%%", "")]
    assert wrong == []


def test_the_console_catalog_defines_no_msgid_of_another_catalog() -> None:
    def ids(path) -> set[str]:
        with path.open("rb") as fh:
            return {m.id for m in read_po(fh, locale="zh_CN") if m.id}

    mine = ids(CONSOLE_PO)
    others = set().union(*(ids(p) for p in CONSOLE_PO.parent.glob("*.po") if p != CONSOLE_PO))
    assert mine & others == set()
    assert mine <= set(_console_msgids())  # nothing left over either
