"""Journeys in a real browser (Debian's headless Chromium driven by Playwright) against `kaifang serve`
running as its own process, on a database it migrated and filled with the demo data."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import throwaway_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("KAIFANG_SCREENSHOTS", "/tmp/kaifang-screenshots"))

if not Path(CHROMIUM).exists():
    if os.environ.get("KAIFANG_TEST_REQUIRE_BROWSER"):
        raise RuntimeError("Chromium is required for the browser journeys (apt-get install chromium)")
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    """One server with the full demo data for the journeys of this module (loading it takes a while)."""
    tmp_path = tmp_path_factory.mktemp("server")
    with throwaway_database(database_url, tmp_path) as url:
        yield from _serve(url, tmp_path)


def _serve(url, tmp_path):
    port = _free_port()
    env = {**os.environ, "KAIFANG_DATABASE_URL": url, "KAIFANG_VAR_DIR": str(tmp_path / "var"),
           "KAIFANG_JOBS_BACKEND": "embedded", "KAIFANG_BASE_URL": f"http://127.0.0.1:{port}"}
    cli = [sys.executable, "-m", "kaifang.cli"]
    for args in (["migrate"], ["demo", "load"]):
        subprocess.run([*cli, *args], env=env, check=True, capture_output=True, timeout=180)
    log = open(tmp_path / "server.log", "w")  # closed in the finally below
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError((tmp_path / "server.log").read_text())
        yield base, tmp_path / "var"
    finally:
        proc.terminate()
        proc.wait(timeout=40)
        log.close()


@pytest.fixture
def page():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def _login(page: Page, base: str, email: str, password: str = "Kaifang-demo-2026") -> None:
    page.goto(f"{base}/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("main").get_by_role("button", name="登录").click()


def test_company_registers_and_the_operator_registers_it_as_provider_staff(server, page):
    base, _ = server
    page.goto(base)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("banner")).to_contain_text("苏州市公共数据开放平台")
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)

    # A legal person registers; a wrong credit code is named next to its field.
    page.get_by_role("link", name="注册").first.click()
    page.locator("input[name=kind][value=legal]").check()
    page.get_by_label("电子邮箱").fill("newco@example.cn")
    page.locator("#f-display_name").fill("周经理")
    page.locator("#f-org_name").fill("苏州新数科技有限公司")
    page.locator("#f-uscc").fill("91110000600037341X")
    page.locator("#f-password").fill("Journey-pass-2026")
    page.locator("#f-password_confirm").fill("Journey-pass-2026")
    page.locator("input[name=accept_rules]").check()
    page.get_by_role("main").get_by_role("button", name="注册").click()
    expect(page.locator("#e-uscc")).to_be_visible()
    page.screenshot(path=str(SHOTS / "register-error.png"), full_page=True)
    page.locator("#f-uscc").fill("91110000600037341L")
    page.locator("#f-password").fill("Journey-pass-2026")
    page.locator("#f-password_confirm").fill("Journey-pass-2026")
    page.locator("input[name=accept_rules]").check()
    page.get_by_role("main").get_by_role("button", name="注册").click()
    expect(page).to_have_url(f"{base}/me")
    expect(page.get_by_role("main")).to_contain_text("苏州新数科技有限公司")
    page.get_by_role("button", name="退出").click()

    # The operator registers the new account as data staff of 苏州市交通运输局 (A35.1).
    _login(page, base, "operator@demo.kaifang.cn")
    page.goto(f"{base}/console/organisations?q=交通运输局")
    page.get_by_role("link", name="苏州市交通运输局").click()
    page.locator("#f-email").fill("newco@example.cn")
    page.locator("#f-role").select_option("provider_staff")
    page.locator("#f-reason").fill("新任数据专员")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_role("main")).to_contain_text("newco@example.cn")
    expect(page.get_by_role("main")).to_contain_text("新任数据专员")
    page.screenshot(path=str(SHOTS / "console-org.png"), full_page=True)

    # The change is in the audit trail, and the chain verifies.
    page.get_by_role("navigation", name="管理控制台导航").get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("main")).to_contain_text("accounts.member_added")
    page.get_by_role("button", name="校验哈希链").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.screenshot(path=str(SHOTS / "audit.png"), full_page=True)


def test_password_reset_mail_and_english_switch(server, page):
    base, var = server
    page.goto(f"{base}/password/forgot")
    page.get_by_label("电子邮箱").fill("citizen@demo.kaifang.cn")
    page.get_by_role("main").get_by_role("button").click()
    # The embedded worker thread sends the mail job; in development mail goes to var/mail as .eml files. The demo
    # data has mailed notifications already (conditional access): look for the reset mail among them.
    from email import message_from_bytes, policy

    links: list[str] = []
    for _ in range(50):
        for path in sorted((var / "mail").glob("*.eml")) if (var / "mail").exists() else []:
            body = message_from_bytes(path.read_bytes(), policy=policy.default).get_content()
            links += [w for w in body.split() if "/password/reset/" in w]
        if links:
            break
        time.sleep(0.2)
    assert links, "the reset mail was written by the embedded job worker"
    link = links[0]
    page.goto(link)
    page.locator("#f-password").fill("Reset-in-browser-1")
    page.locator("#f-password_confirm").fill("Reset-in-browser-1")
    page.get_by_role("main").get_by_role("button").click()
    expect(page).to_have_url(f"{base}/login")
    _login(page, base, "citizen@demo.kaifang.cn", "Reset-in-browser-1")
    expect(page).to_have_url(f"{base}/me")

    page.locator("#lang-select").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal centre")
    page.screenshot(path=str(SHOTS / "me-en.png"), full_page=True)


def test_a_visitor_finds_previews_and_downloads_open_data_A9_2(server, page):
    """Search the catalog in Chinese, open the dataset page, sort the preview, download the CSV."""
    base, _ = server
    page.goto(f"{base}/catalog")
    page.locator("#catalog-q").fill("企业登记")
    page.locator("form.search-form button[type=submit]").click()
    first = page.locator(".results h3 a").first
    expect(first).to_contain_text("企业登记信息")
    page.screenshot(path=str(SHOTS / "catalog.png"), full_page=True)
    first.click()
    expect(page.locator("#preview table.preview")).to_be_visible()
    rows = page.locator("#preview table.preview tbody tr")
    expect(rows).to_have_count(20)
    page.screenshot(path=str(SHOTS / "dataset.png"), full_page=True)
    with page.expect_download() as info:
        page.locator("#downloads a").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv") and "企业登记信息" in download.suggested_filename
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("uscc,name")
    assert len(text.splitlines()) == 2001


def _shot(page: Page, name: str) -> None:
    """The download and API panels of a dataset page, and the whole page, as PNG files."""
    page.locator("#downloads").screenshot(path=str(SHOTS / f"{name}-downloads.png"))
    page.locator("#api").screenshot(path=str(SHOTS / f"{name}-api.png"))
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_grantee_is_offered_the_deliveries_of_their_grant_A20_4_A22_1(server, page):
    """The demo company holds an agreement in force on 苏州市特种设备使用登记信息 (downloads and the API, 4 data
    items, the rows of enterprises in business): its page offers both to the company and neither to a visitor."""
    base, _ = server
    page.goto(f"{base}/catalog")
    page.locator("#catalog-q").fill("特种设备使用登记")
    page.locator("form.search-form button[type=submit]").click()
    page.locator(".results h3 a", has_text="苏州市特种设备使用登记信息").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("苏州市特种设备使用登记信息")
    dataset = page.url
    for panel in ("#downloads", "#api"):
        expect(page.locator(panel)).to_contain_text("该数据目录属于有条件开放类，仅向申请获批的利用主体提供数据。")
        expect(page.locator(f"{panel} a")).to_have_count(0)
    _shot(page, "dataset-grant-anonymous")

    _login(page, base, "company@demo.kaifang.cn")
    page.goto(dataset)
    expect(page.locator("#downloads a[download]")).to_have_count(6)
    expect(page.locator("#api ol a")).to_have_count(3)
    for panel in ("#downloads", "#api"):
        expect(page.locator(panel)).to_contain_text("您获批的申请涵盖此获取方式：仅提供申请获批的数据项和数据行。")
    _shot(page, "dataset-grant-1280")

    # Each offered link serves the granted data items only.
    with page.expect_download() as info:
        page.locator("#downloads a[download]").first.click()
    header = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == ["name", "industry", "district", "staff"]
    first_call = page.locator("#api ol a").first.get_attribute("href")
    answer = page.request.get(first_call)
    assert answer.status == 200 and answer.json()["fields"] == ["name", "industry", "district", "staff"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(dataset)
    expect(page.locator("#downloads a[download]")).to_have_count(6)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page fits a phone's width"
    _shot(page, "dataset-grant-390")
