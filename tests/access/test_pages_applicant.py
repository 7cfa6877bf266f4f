"""The applicants' pages of conditional access over HTTP (A20.1, A20.2, A21.1, A23.1, A24.1, A24.2, A34.1), in
Chinese by default, and a Chinese translation for every msgid of these pages and of the access domain."""

from __future__ import annotations

import ast
import datetime as dt
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import kaifang
from kaifang.access import agreement, schemas, services, workflow
from kaifang.access.models import AccessApplication, ApplicationAttachment, ApplicationItem
from kaifang.access.routes import common
from kaifang.accounts import apikeys
from kaifang.config import Settings
from kaifang.i18n import LOCALE_DIR, translations
from kaifang.notify import my_notifications
from tests.access.factories import (
    FIELDS,
    application_input,
    approved,
    conditional_register,
    in_force,
    people,
    submitted,
    today,
)
from tests.catalog.factories import entry_input, publish_as_system
from tests.personas import World, csrf_from, login

PKG = Path(kaifang.__file__).resolve().parent
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def register(session: Session, settings: Settings, world: World, tmp_path: Path):
    return conditional_register(session, settings, world, tmp_path)


def _post(client: TestClient, path: str, data: dict | list, token_from: str, files=None):
    token = csrf_from(client, token_from)
    fields: dict[str, list[str]] = {}
    for name, value in (data.items() if isinstance(data, dict) else data):
        fields.setdefault(name, []).append(value)
    fields["csrf_token"] = [token]
    return client.post(path, data=fields, files=files)


def _form(entry_id: int, fields=("name", "district"), **values: str) -> list[tuple[str, str]]:
    """The A20.1 form as a browser posts it: repeated names for the multi-valued fields."""
    start = today().isoformat()
    end = (today() + dt.timedelta(days=90)).isoformat()
    base = {"title": "企业画像研究数据申请", "reason": "开展昆山市中小企业发展研究。", "kind": "dataset",
            "period_start": start, "period_end": end, "results_form": "研究报告一份",
            "scenario": "为区域产业政策提供数据支撑。", "commitment": "on"}
    base.update(values)
    pairs = [(k, v) for k, v in base.items() if v is not None]
    pairs += [("deliveries", "download"), ("deliveries", "api"), ("entry_id", str(entry_id))]
    pairs += [(f"fields_{entry_id}", f) for f in fields]
    return pairs


def _app_id(response) -> int:
    assert response.status_code == 303, response.text[:2000]
    match = re.fullmatch(r"/access/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", page))


# --- the form (A20.1) --------------------------------------------------------------------------------

def test_a20_1_visitors_are_sent_to_sign_in(client: TestClient, register) -> None:
    for path in ("/access", f"/access/new?entry={register.id}", "/requests", "/me/notifications"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/"), path
    token = csrf_from(client, "/login")
    assert client.post("/access/new", data={"csrf_token": token, "title": "x"}).status_code == 403


def test_a20_1_the_applicant_fills_saves_and_sees_what_is_missing(client: TestClient, session: Session,
                                                                  world: World, register) -> None:
    sibling = publish_as_system(session, world.orgs["agency"], entry_input(
        name="苏州市公交线路客流", open_class="conditional", open_conditions="仅限交通研究。"))
    login(client, world.emails["company"])
    form = client.get(f"/access/new?entry={register.id}")
    assert form.status_code == 200
    page = form.text
    # Other conditional datasets of the same provider can be added, unticked.
    others = page.split("<details>", 1)[1]
    assert "苏州市公交线路客流" in others and f'name="entry_id" value="{sibling.id}" >' in others
    assert "申请有条件开放数据" in page and "苏州市企业登记信息" in page
    for title in ("统一社会信用代码", "法定代表人", "成立日期"):
        assert title in page
    assert f'name="fields_{register.id}" value="legal_person"' in page and "敏感" in page
    assert f'name="entry_id" value="{register.id}" checked' in page

    # A draft may be incomplete: only a title and two data items.
    saved = _post(client, "/access/new", [("title", "企业画像研究"), ("entry_id", str(register.id)),
                                           (f"fields_{register.id}", "name"), (f"fields_{register.id}", "district")],
                  f"/access/new?entry={register.id}")
    app_id = _app_id(saved)
    app = session.get(AccessApplication, app_id)
    assert app.status == "draft" and app.applicant_user_id == world.users["company"]
    item = session.execute(select(ApplicationItem).where(ApplicationItem.application_id == app_id)).scalar_one()
    assert item.entry_id == register.id and item.fields == '["name", "district"]'

    detail = _text(client.get(f"/access/{app_id}").text)
    assert "申请已保存" in detail and "提交申请前尚缺以下内容" in detail
    missing = re.search(r'<ul class="missing">(.*?)</ul>', client.get(f"/access/{app_id}").text, re.S).group(1)
    for label in ("事由", "获取方式", "使用期限", "成果形式", "应用场景", "承诺"):
        assert label in missing, label
    assert "申请标题" not in missing and "服务名称" not in missing
    # Submitting now names what is missing, in Chinese.
    refused = _post(client, f"/access/{app_id}/submit", {}, f"/access/{app_id}")
    assert refused.status_code == 400 and "申请尚不能提交：缺少事由" in _text(refused.text)

    # Completing it through the edit form; the chosen data items stay ticked.
    edit = client.get(f"/access/{app_id}/edit").text
    assert f'name="fields_{register.id}" value="name" checked' in edit
    assert 'value="uscc" checked' not in edit
    done = _post(client, f"/access/{app_id}/edit", _form(register.id), f"/access/{app_id}/edit")
    assert _app_id(done) == app_id
    session.refresh(app)
    assert app.reason == "开展昆山市中小企业发展研究。" and app.commitment and app.period_end is not None
    assert "申请的各项内容均已填写，可以提交。" in client.get(f"/access/{app_id}").text


def test_a20_1_a_bad_period_is_named_next_to_its_field_in_chinese(client: TestClient, world: World,
                                                                  register) -> None:
    login(client, world.emails["company"])
    start = today().isoformat()
    backwards = _post(client, "/access/new", _form(register.id, period_start=start,
                                                   period_end=(today() - dt.timedelta(days=1)).isoformat()),
                      f"/access/new?entry={register.id}")
    assert backwards.status_code == 400
    page = backwards.text
    assert '<p class="error" id="e-period_end">结束日期不能早于开始日期。</p>' in page
    assert "请修改标注的填写项。" in page and 'value="企业画像研究数据申请"' in page  # the form keeps its values
    too_long = _post(client, "/access/new", _form(register.id, period_end=(today() + dt.timedelta(days=4 * 366))
                                                  .isoformat()), f"/access/new?entry={register.id}")
    assert too_long.status_code == 400 and "使用期限最长为三年。" in too_long.text
    not_a_date = _post(client, "/access/new", _form(register.id, period_start="2026-13-40"),
                       f"/access/new?entry={register.id}")
    assert not_a_date.status_code == 400
    assert '<p class="error" id="e-period_start">请按 YYYY-MM-DD 格式填写日期。</p>' in not_a_date.text
    unknown_item = _post(client, "/access/new", _form(register.id, fields=("name", "secret_column")),
                         f"/access/new?entry={register.id}")
    assert unknown_item.status_code == 400
    assert f'id="e-fields-{register.id}">申请的数据项不属于该数据集。' in unknown_item.text


def test_a20_1_only_conditional_data_is_applied_for(client: TestClient, session: Session, settings: Settings,
                                                    world: World, tmp_path: Path) -> None:
    open_data = conditional_register(session, settings, world, tmp_path, open_class="unconditional",
                                     name="苏州市公开企业名录")
    login(client, world.emails["company"])
    assert "只有有条件开放的数据集需要申请" in client.get(f"/access/new?entry={open_data.id}").text
    answer = _post(client, "/access/new", _form(open_data.id), "/access/new")
    assert answer.status_code == 400 and "只有有条件开放的数据集需要申请" in answer.text
    assert session.execute(select(AccessApplication)).first() is None


def test_a20_1_attachments_are_checked_kept_and_downloaded(client: TestClient, session: Session, world: World,
                                                           settings: Settings, register) -> None:
    login(client, world.emails["company"])
    app_id = _app_id(_post(client, "/access/new", _form(register.id), f"/access/new?entry={register.id}"))
    path = f"/access/{app_id}"
    ok = _post(client, f"{path}/attachments", {}, path, files={"attachment": ("营业执照.pdf", PDF, "application/pdf")})
    assert ok.status_code == 303
    row = session.execute(select(ApplicationAttachment)).scalar_one()
    assert row.filename == "营业执照.pdf" and row.size == len(PDF)
    assert (settings.files_dir / row.path).read_bytes() == PDF
    page = client.get(path).text
    assert f'href="/access/{app_id}/attachments/{row.id}">营业执照.pdf</a>' in page
    download = client.get(f"/access/{app_id}/attachments/{row.id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")

    exe = _post(client, f"{path}/attachments", {}, path, files={"attachment": ("setup.exe", b"MZ\x90\x00", "x")})
    assert exe.status_code == 400
    assert '<p class="error" id="e-attachment">只能上传 PDF、PNG、JPEG、DOCX、XLSX 或 OFD 文件。</p>' in exe.text
    fake = _post(client, f"{path}/attachments", {}, path, files={"attachment": ("证明.pdf", b"<html>hi</html>", "x")})
    assert fake.status_code == 400 and "文件 证明.pdf 实际上不是 PDF 文件。" in fake.text
    assert session.execute(select(ApplicationAttachment)).scalars().all() == [row]

    removed = _post(client, f"{path}/attachments/{row.id}/delete", {}, path)
    assert removed.status_code == 303 and session.execute(select(ApplicationAttachment)).first() is None


def test_a20_1_a_complete_application_is_submitted_and_the_bureau_is_told(client: TestClient, session: Session,
                                                                          world: World, register) -> None:
    login(client, world.emails["company"])
    app_id = _app_id(_post(client, "/access/new", _form(register.id), f"/access/new?entry={register.id}"))
    answer = _post(client, f"/access/{app_id}/submit", {}, f"/access/{app_id}")
    assert answer.status_code == 303
    page = _text(client.get(f"/access/{app_id}").text)
    assert "待受理" in page and "申请已提交" in page and "修改申请" not in page
    listing = _text(client.get("/access").text)
    assert "企业画像研究数据申请" in listing and "待受理" in listing
    # The bureau hears of it in the platform (and by mail): the header counts it, the page lists it.
    bureau = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    login(bureau, world.emails["city_bureau"])
    home = bureau.get("/me/notifications").text
    assert "新的有条件开放数据申请：企业画像研究数据申请" in home
    assert f'href="/console/access/{app_id}"' in home and '<span class="badge" aria-label="1 条未读">1</span>' in home
    read = _post(bureau, "/me/notifications/read", {}, "/me/notifications")
    assert read.status_code == 303 and read.headers["location"] == "/me/notifications"
    assert 'aria-label="1 条未读"' not in bureau.get("/me/notifications").text
    session.expire_all()
    bureau_notes = my_notifications(session, world.principal(session, "city_bureau"), 1).items
    assert bureau_notes and not any(n.unread for n in bureau_notes)


def test_a20_1_the_applicant_withdraws_a_submitted_application(client: TestClient, session: Session, world: World,
                                                              register) -> None:
    app = submitted(session, people(session, world), register.id)
    login(client, world.emails["company"])
    answer = _post(client, f"/access/{app.id}/withdraw", {"note": "研究计划调整"}, f"/access/{app.id}")
    assert answer.status_code == 303
    page = _text(client.get(f"/access/{app.id}").text)
    assert "申请人已撤回" in page and "研究计划调整" in page and "已下架" not in page


# --- acceptance (A20.2) ------------------------------------------------------------------------------

def test_a20_2_every_reason_for_not_accepting_shows_in_chinese(client: TestClient, session: Session, world: World,
                                                              register) -> None:
    who = people(session, world)
    app = submitted(session, who, register.id)
    services.not_accept_application(session, who.city_bureau, app.id, ["fields_excessive", "attachments_missing",
                                                                       "other"], "请补充单位介绍信")
    login(client, world.emails["company"])
    page = _text(client.get(f"/access/{app.id}").text)
    assert "大数据主管部门未予受理本申请" in page and "不予受理" in page
    for text in ("申请的数据项超出应用场景所需。", "证明材料缺失或无法识别。", "其他（见说明）。", "请补充单位介绍信"):
        assert page.count(text) >= 2, text  # in the notice and in the rounds table
    assert "提交补正后的申请" in page and "修改申请" in page
    notices = _text(client.get("/me/notifications").text)
    assert "您的申请未予受理，请修改后重新提交：企业画像研究数据申请" in notices


# --- the agreement (A21.1) ----------------------------------------------------------------------------

def test_a21_1_the_agreement_is_signed_on_the_page_and_downloaded_as_text(client: TestClient, session: Session,
                                                                          world: World, register) -> None:
    who = people(session, world)
    app = approved(session, who, register.id)
    login(client, world.emails["company"])
    page = client.get(f"/access/{app.id}").text
    sha = re.search(r'<input type="hidden" name="sha256" value="([0-9a-f]{64})">', page).group(1)
    assert f'<code id="agreement-sha256">{sha}</code>' in page and "第一条　利用目的" in page
    assert "已同意，待签署协议" in page and "昆山市中小企业发展研究" in page and "district=昆山市" in page

    wrong = _post(client, f"/access/{app.id}/sign", {"sha256": "0" * 64, "side": "applicant"}, f"/access/{app.id}")
    assert wrong.status_code == 400 and "您签署的不是协议的当前文本" in wrong.text
    signed = _post(client, f"/access/{app.id}/sign", {"sha256": sha, "side": "applicant"}, f"/access/{app.id}")
    assert signed.status_code == 303
    after = client.get(f"/access/{app.id}").text
    assert "您已签署利用协议。" in after and 'name="sha256"' not in after
    services.sign_agreement(session, who.cdo, app.id, "provider", sha)

    text = client.get(f"/access/{app.id}/agreement.txt")
    assert text.status_code == 200 and text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["content-disposition"].startswith('attachment; filename="agreement-SQ')
    body = text.content.decode("utf-8")
    assert body.startswith("苏州市公共数据利用协议\n") and f"SHA-256: {sha}" in body
    assert body.count(f"SHA-256 {sha}") == 2 and "数据利用主体（申请人）：company" in body
    assert "苏州市交通运输局(测试)" in body and "（北京时间）" in body
    in_force = _text(client.get(f"/access/{app.id}").text)
    assert "协议生效" in in_force and "有效" in in_force


def test_a21_1_someone_elses_application_answers_404(client: TestClient, session: Session, world: World,
                                                    register) -> None:
    app = approved(session, people(session, world), register.id)
    login(client, world.emails["citizen"])
    for path in (f"/access/{app.id}", f"/access/{app.id}/edit", f"/access/{app.id}/agreement.txt",
                 "/access/999999"):
        assert client.get(path).status_code == 404, path
    token = csrf_from(client, "/access")
    for path in (f"/access/{app.id}/submit", f"/access/{app.id}/withdraw", f"/access/{app.id}/edit"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    assert client.post(f"/access/{app.id}/sign", data={"csrf_token": token, "sha256": "0" * 64,
                                                       "side": "applicant"}).status_code in (400, 404)
    assert "企业画像研究数据申请" not in client.get("/access").text


# --- grants, keys and results of use (A20.4, A24.1, A24.2) -------------------------------------------

def test_a24_2_results_reported_once_in_force_show_on_the_dataset_page_with_the_a24_1_citation(
        client: TestClient, session: Session, world: World, register) -> None:
    who = people(session, world)
    login(client, world.emails["company"])
    early = approved(session, who, register.id)
    too_soon = _post(client, f"/access/{early.id}/results", {"kind": "paper", "title": "早"}, f"/access/{early.id}")
    assert too_soon.status_code == 400 and "利用协议生效后才能报送利用成果。" in too_soon.text

    app = in_force(session, who, register.id)
    path = f"/access/{app.id}"
    bad = _post(client, f"{path}/results", {"kind": "paper", "title": "", "url": "javascript:alert(1)"}, path)
    assert bad.status_code == 400
    assert '<p class="error" id="e-title">请填写成果名称。</p>' in bad.text
    assert "链接应以 http:// 或 https:// 开头。" in bad.text
    good = _post(client, f"{path}/results", {"kind": "report", "title": "昆山中小企业发展报告<2026>",
                                             "url": "https://example.cn/report", "description": "基于登记数据。"},
                 path)
    assert good.status_code == 303
    dataset = client.get(f"/datasets/{register.slug}").text
    assert "利用成果" in dataset and "研究报告" in dataset
    assert ('<a href="https://example.cn/report" rel="nofollow noopener noreferrer">'
            '昆山中小企业发展报告&lt;2026&gt;</a>') in dataset
    # A24.1: the citation is shown with the dataset, and conditional data offers the application.
    assert '<textarea id="citation-text"' in dataset and f'href="/access/new?entry={register.id}"' in dataset


def test_a20_4_an_api_key_is_bound_to_a_grant_and_unbound(client: TestClient, session: Session, world: World,
                                                         register) -> None:
    who = people(session, world)
    app = in_force(session, who, register.id)
    key = apikeys.create_api_key(session, who.applicant, "研究脚本").key
    login(client, world.emails["company"])
    page = client.get(f"/access/{app.id}").text
    grant_id = int(re.search(r'action="/access/grants/(\d+)/key"', page).group(1))
    bound = _post(client, f"/access/grants/{grant_id}/key", {"key_id": str(key.id)}, f"/access/{app.id}")
    assert bound.status_code == 303 and bound.headers["location"] == f"/access/{app.id}#grants"
    session.expire_all()
    assert [k.grant_id for k in apikeys.my_api_keys(session, who.applicant)] == [grant_id]
    assert "研究脚本 <code>" in client.get(f"/access/{app.id}").text
    _post(client, f"/access/grants/{grant_id}/key", {"key_id": ""}, f"/access/{app.id}")
    session.expire_all()
    assert [k.grant_id for k in apikeys.my_api_keys(session, who.applicant)] == [None]
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    login(other, world.emails["citizen"])
    assert _post(other, f"/access/grants/{grant_id}/key", {"key_id": str(key.id)}, "/access").status_code == 404


def test_the_dataset_page_of_unconditional_data_offers_no_application(client: TestClient, session: Session,
                                                                      settings: Settings, world: World,
                                                                      tmp_path: Path) -> None:
    open_data = conditional_register(session, settings, world, tmp_path, open_class="unconditional",
                                     name="苏州市公开企业名录")
    page = client.get(f"/datasets/{open_data.slug}").text
    assert "/access/new" not in page and "尚无利用本数据集形成的成果。" in page


# --- requests, notifications, sanctions (A23.1, A34.1) -----------------------------------------------

def test_a23_1_a_request_for_data_outside_the_catalog_is_sent_and_followed(client: TestClient, session: Session,
                                                                          world: World) -> None:
    login(client, world.emails["citizen"])
    form = client.get("/requests/new").text
    assert '<option value="320500" selected>苏州市</option>' in form
    empty = _post(client, "/requests/new", {"title": " ", "description": "", "region_code": "320500"}, "/requests/new")
    assert empty.status_code == 400 and '<p class="error" id="e-title">用一句话说明需要什么数据。</p>' in empty.text
    sent = _post(client, "/requests/new", {"title": "全市电动汽车充电桩位置", "description": "充电桩位置和功率。",
                                           "purpose": "导航应用", "region_code": "320583"}, "/requests/new")
    assert sent.status_code == 303
    req_id = int(re.fullmatch(r"/requests/(\d+)", sent.headers["location"]).group(1))
    page = _text(client.get(f"/requests/{req_id}").text)
    assert "全市电动汽车充电桩位置" in page and "待分派" in page and "尚未答复。" in page and "导航应用" in page
    assert "全市电动汽车充电桩位置" in client.get("/requests").text
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    login(other, world.emails["company"])
    assert other.get(f"/requests/{req_id}").status_code == 404


def test_notifications_are_translated_and_marked_read_one_by_one(client: TestClient, session: Session,
                                                                world: World, register) -> None:
    who = people(session, world)
    app = submitted(session, who, register.id)
    services.accept_application(session, who.city_bureau, app.id, "材料齐全")
    login(client, world.emails["company"])
    page = client.get("/me/notifications").text
    assert "您的申请已受理并转交开放主体审核：企业画像研究数据申请" in page and f'href="/access/{app.id}"' in page
    [note] = my_notifications(session, who.applicant, 1).items
    answer = _post(client, "/me/notifications/read", {"id": str(note.id), "next": "/access"}, "/me/notifications")
    assert answer.status_code == 303 and answer.headers["location"] == "/access"
    session.expire_all()
    assert not my_notifications(session, who.applicant, 1).items[0].unread
    assert '<a href="/me/notifications">消息</a>' in client.get("/access").text


def test_a34_1_published_sanctions_are_listed_publicly(client: TestClient, session: Session, world: World) -> None:
    who = people(session, world)
    services.impose_sanction(session, who.city_bureau, world.users["company"], "close", "违规转售数据", public=True)
    services.impose_sanction(session, who.city_bureau, world.users["citizen"], "restrict", "内部处理", public=False)
    page = _text(client.get("/sanctions").text)
    assert "违规处理公告" in page and "苏州测试科技有限公司" in page and "违规转售数据" in page
    assert "关闭全部数据获取权限" in page and "苏州市大数据管理局(测试)" in page and "内部处理" not in page
    login(client, world.emails["company"])
    assert "您的数据获取权限受到限制" in _text(client.get("/access").text)


def test_the_pages_escape_what_users_write(client: TestClient, world: World, register) -> None:
    login(client, world.emails["company"])
    app_id = _app_id(_post(client, "/access/new", _form(register.id, title="<script>alert(1)</script>"),
                           f"/access/new?entry={register.id}"))
    page = client.get(f"/access/{app_id}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Balance(HTMLParser):
    """Every element closed, in order (the pages write no optional end tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def _well_formed(page: str) -> None:
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.problems == [] and parser.stack == [], (parser.problems, parser.stack)


def test_every_page_is_well_formed(client: TestClient, session: Session, world: World, register) -> None:
    who = people(session, world)
    services.impose_sanction(session, who.city_bureau, world.users["citizen"], "restrict", "违规", public=True)
    draft = services.save_application(session, who.applicant, None, application_input(register.id, reason=""))
    services.add_attachment(session, who.applicant, draft.id, "a.pdf", PDF)
    refused = submitted(session, who, register.id)
    services.not_accept_application(session, who.city_bureau, refused.id, ["other"], "说明")
    live = in_force(session, who, register.id)
    services.report_result(session, who.applicant, live.id, "app", "应用", "https://example.cn", "简介")
    apikeys.create_api_key(session, who.applicant, "脚本")
    req = services.submit_request(session, who.applicant, "需求", "描述", "用途")
    login(client, world.emails["company"])
    paths = ["/access", f"/access/new?entry={register.id}", f"/access/{draft.id}", f"/access/{draft.id}/edit",
             f"/access/{refused.id}", f"/access/{live.id}", "/requests", "/requests/new", f"/requests/{req.id}",
             "/me/notifications", "/sanctions", f"/datasets/{register.slug}", "/me", "/"]
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, path
        _well_formed(answer.text)


def test_the_pages_speak_english_on_request(client: TestClient, world: World, register) -> None:
    login(client, world.emails["company"])
    token = csrf_from(client, "/access")
    client.post("/lang", data={"lang": "en", "next": "/access", "csrf_token": token})
    page = client.get(f"/access/new?entry={register.id}").text
    assert "Apply for conditionally open data" in page and "Period of use: first day" in page


# --- translations --------------------------------------------------------------------------------------

_TEMPLATE_CALL = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")
# Every module of the domain but its tables and the access decision (its refusals are translated with the data
# pages).
DOMAIN_FILES = tuple(sorted(p.name for p in (PKG / "access").glob("*.py")
                            if p.name not in ("__init__.py", "decision.py", "models.py")))
# The applicants' route modules (the console's are checked in test_console_pages.py) and the messages page.
PAGE_MODULES = [PKG / "access" / "routes" / f"{name}.py" for name in ("applications", "application_form", "requests",
                                                                       "sanctions", "common")]
PAGE_MODULES.append(PKG / "notify" / "routes" / "pages.py")
OWN_PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "access_pages.po"


def _domain_msgids() -> dict[str, str]:
    """Every user-facing string of the access domain: literals that start with a capital letter or a parameter
    (errors, notifications, labels; docstrings left out), the vocabularies and the agreement's placeholders."""
    found: dict[str, str] = {}
    for name in DOMAIN_FILES:
        tree = ast.parse((PKG / "access" / name).read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        formatted = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        formatted |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.Assign)  # names in __all__
                      and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets) for v in ast.walk(n)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and id(node) not in formatted and node.value[:1].isascii()
                    and (node.value[:1].isupper() or node.value.startswith("%(")) and not node.value.endswith("%")):
                found.setdefault(node.value, name)
    labels = [schemas.KIND_LABELS, schemas.DELIVERY_LABELS, schemas.NOT_ACCEPTED_REASONS, schemas.RESULT_KINDS,
              schemas.REQUEST_OUTCOMES, schemas.SANCTION_KINDS, workflow.STATE_LABELS, workflow.REQUEST_STATE_LABELS,
              workflow.GRANT_STATE_LABELS, agreement.CLAUSES, agreement.PLACEHOLDERS, common.ROUND_OUTCOMES,
              common.GRANT_STATES, common.SIDES]
    for d in labels:
        for v in d.values():
            found.setdefault(v, "labels")
    for t in (*workflow.APPLICATION.transitions, *workflow.DATA_REQUEST.transitions, *workflow.GRANT.transitions):
        found.setdefault(t.title, "transitions")
    return found


def _page_msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    paths = [p for p in (PKG / "access" / "templates" / "access").glob("*.html") if not p.name.startswith("console_")]
    paths += [PKG / "notify" / "templates" / "notify" / "notifications.html"]
    for path in [*paths, PKG / "web" / "templates" / "base.html"]:
        for m in _TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(re.sub(r"\\(.)", r"\1", m.group(1) if m.group(1) is not None else m.group(2)), path.name)
    for module in PAGE_MODULES:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        formatted = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):  # sentences: the flashed messages and the texts of gettext_ calls
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and id(node) not in formatted
                    and (node.value[:1].isupper() or node.value.startswith("%(")) and " " in node.value):
                found.setdefault(node.value, module.name)
    found.setdefault(schemas.APPLICANT_BAD_DATE, "schemas.py")
    return found


def test_the_scans_find_the_msgids() -> None:
    domain, page = _domain_msgids(), _page_msgids()
    assert {"The application cannot be submitted yet: %(fields)s missing.", "Waiting for acceptance",
            "New application for conditional data: %(title)s", "Purpose of use", "the approved purpose",
            "Data items wanted", "Only the applicant may do this."} <= set(domain)
    assert {"Apply for conditionally open data", "Use agreement", "Messages", "You have signed the use agreement.",
            "%(side)s: %(who)s, signed at %(time)s (Beijing time), SHA-256 %(hash)s"} <= set(page)
    assert len(domain) > 150 and len(page) > 150 and not any("{{" in m for m in page)


def test_every_msgid_of_the_access_pages_and_domain_has_a_chinese_translation() -> None:
    zh = translations("zh_CN")
    found = {**_page_msgids(), **_domain_msgids()}
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in found.items() if zh.gettext(msgid) == msgid)
    assert missing == []
    wrong = []
    for msgid in found:
        text = zh.gettext(msgid)
        if set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(msgid)):
            wrong.append(f"{msgid!r} -> {text!r}")
        if "%" in _PLACEHOLDER.sub("", text).replace("%%", ""):  # Jinja's newstyle gettext always applies %
            wrong.append(f"stray % in {text!r}")
    assert wrong == []


def test_access_pages_po_defines_no_msgid_another_catalog_defines() -> None:
    def ids(path: Path) -> set[str]:
        with path.open("rb") as fh:
            return {m.id for m in read_po(fh, locale="zh_CN") if m.id}

    own = ids(OWN_PO)
    assert len(own) > 250
    clashes = {p.name: sorted(own & ids(p)) for p in OWN_PO.parent.glob("*.po") if p != OWN_PO}
    assert {name: c for name, c in clashes.items() if c} == {}


def test_sample_translations() -> None:
    zh = translations("zh_CN")
    assert [zh.gettext(schemas.NOT_ACCEPTED_REASONS[c]) for c in ("title_unclear", "other")] == [
        "申请标题未说明申请用途。", "其他（见说明）。"]
    assert [zh.gettext(agreement.CLAUSES[k]) for k in agreement.CLAUSES] == list(agreement.CLAUSE_HEADINGS_ZH.values())
    assert zh.gettext(workflow.STATE_LABELS["in_force"]) == "协议生效"
    assert len(FIELDS) == 8 and application_input(1).commitment
