"""The public pages of the web shell over HTTP (A9.1, A9.2, A9.5, A7, A17.1): Chinese by default, English
on request, a safe language switch, escaped search input, a friendly 404, and a Chinese translation for
every msgid of the web shell's templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract

import kaifang
from kaifang.i18n import translations
from kaifang.web.routes.pages import OPEN_CLASSES, PRIORITY_DOMAINS, safe_next

PKG = Path(kaifang.__file__).resolve().parent
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")

# (path, a Chinese heading the page must show by default)
PUBLIC_PAGES = [
    ("/", "按领域浏览"),
    ("/catalog", "数据目录"),
    ("/services", "数据服务"),
    ("/showcase", "示范应用展示"),
    ("/interaction", "互动交流"),
    ("/statistics", "统计分析"),
    ("/about", "平台使用规则"),
]

# Templates whose msgids must all have a zh_CN translation in web.po, as globs under kaifang/.
# Only the web shell for now (console/ is another team's catalog and has its own test); widen to
# "*/templates/**/*.html" once every domain's catalog is complete.
TRANSLATED_TEMPLATE_GLOBS = [
    "web/templates/*.html",
    "web/templates/errors/**/*.html",
    "web/templates/web/**/*.html",
]
# Python sources whose gettext_("...") literals must be translated.
TRANSLATED_PYTHON_FILES = ["web/errors.py"]

# The same settings as kaifang.web.templating; "silent": "false" makes a broken template fail the test.
_JINJA_OPTIONS = {"trim_blocks": "true", "lstrip_blocks": "true", "newstyle_gettext": "true",
                  "silent": "false"}


def csrf_from(client: TestClient, path: str = "/about") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, "no csrf_token hidden input on " + path
    return match.group(1)


def switch_to(client: TestClient, lang: str, next_path: str = "/about") -> None:
    token = csrf_from(client)
    answer = client.post("/lang", data={"lang": lang, "next": next_path, "csrf_token": token})
    assert answer.status_code == 303


# ---------------------------------------------------------------- pages

@pytest.mark.parametrize(("path", "heading"), PUBLIC_PAGES)
def test_public_page_answers_in_chinese_by_default(client: TestClient, path: str, heading: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text
    assert "苏州市公共数据开放平台" in page.text
    assert heading in page.text
    assert '<main id="main"' in page.text and 'class="skip-link" href="#main"' in page.text


@pytest.mark.parametrize(("path", "heading"), PUBLIC_PAGES[1:])
def test_main_navigation_marks_the_current_page(client: TestClient, path: str, heading: str) -> None:
    page = client.get(path)
    assert f'<a href="{path}" aria-current="page">' in page.text
    assert '<a href="/" aria-current="page">' not in page.text


def test_home_offers_search_and_the_16_priority_domains_a17_1(client: TestClient) -> None:
    assert [code for code, _ in PRIORITY_DOMAINS] == [
        "credit", "education", "transport", "culture_tourism", "science", "hr_social_security",
        "natural_resources", "ecology", "agriculture", "health", "emergency", "market", "statistics",
        "medical_security", "finance", "meteorology"]
    page = client.get("/").text
    assert re.search(r'<form class="search-form" method="get" action="/catalog"', page)
    assert '<label for="home-q">' in page and 'id="home-q" name="q"' in page
    zh_names = ["公共信用", "教育", "交通运输", "文化旅游", "科技", "人力资源和社会保障",
                "自然资源", "生态环境", "农业农村", "卫生健康", "应急管理", "市场监管",
                "统计", "医疗保障", "金融", "气象"]
    for (code, _), name in zip(PRIORITY_DOMAINS, zh_names, strict=True):
        assert f'href="/catalog?domain={code}">{name}</a>' in page
    for open_class in ("无条件开放", "有条件开放", "不予开放"):  # A7.1
        assert open_class in page
    assert "如何获取数据" in page and "10个工作日" in page  # A19-A22


def test_catalog_shows_its_structure_and_an_honest_empty_state(client: TestClient) -> None:
    page = client.get("/catalog").text
    for facet in ("领域", "开放主体", "区域", "开放属性"):
        assert f">{facet}</h3>" in page
    assert "暂无已发布的数据集。" in page
    assert '<label for="catalog-q">' in page


def test_catalog_facet_links_keep_the_search_and_toggle_the_filter(client: TestClient) -> None:
    page = client.get("/catalog", params={"q": "公交", "domain": "transport"}).text
    assert 'href="/catalog?q=%E5%85%AC%E4%BA%A4" aria-current="true"' in page  # choosing it again clears it
    assert 'href="/catalog?q=%E5%85%AC%E4%BA%A4&amp;domain=transport&amp;open_class=conditional"' in page
    assert '<input type="hidden" name="domain" value="transport">' in page


def test_catalog_ignores_an_unknown_filter(client: TestClient) -> None:
    page = client.get("/catalog", params={"domain": '"><script>alert(1)</script>', "open_class": "secret"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert 'aria-current="true"' not in page.text


def test_catalog_escapes_the_query(client: TestClient) -> None:
    page = client.get("/catalog", params={"q": '"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page.text
    assert "“&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;”的搜索结果" in page.text


def test_catalog_caps_the_query_length(client: TestClient) -> None:
    page = client.get("/catalog", params={"q": "数" * 500})
    assert page.status_code == 200
    assert 'value="' + "数" * 200 + '"' in page.text
    assert "数" * 201 not in page.text


def test_about_publishes_the_rules_of_use_a9_5(client: TestClient) -> None:
    page = client.get("/about").text
    rules = re.search(r'<section id="rules".*?<ol class="rules">(.*?)</ol>', page, re.DOTALL)
    assert rules, "the rules of use section (id=rules) is missing"
    assert 8 <= rules.group(1).count("<li>") <= 12
    assert "苏州市信息中心" in page and "大数据主管部门" in page
    assert "数据利用主体的权利和义务" in page


def test_static_assets_are_served_locally(client: TestClient) -> None:
    css = client.get("/static/kaifang.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".skip-link:focus" in css.text and ":focus-visible" in css.text
    assert "http://" not in css.text and "https://" not in css.text and "@import" not in css.text
    logo = client.get("/static/logo.svg")
    assert logo.status_code == 200 and "<svg" in logo.text


# ---------------------------------------------------------------- language switch

def test_language_switch_to_english_and_back(client: TestClient) -> None:
    token = csrf_from(client)
    answer = client.post("/lang", data={"lang": "en", "next": "/about", "csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/about"

    page = client.get("/about")
    assert '<html lang="en">' in page.text
    assert page.headers["content-language"] == "en"
    assert "Suzhou Public Data Open Platform" in page.text and "Platform rules of use" in page.text
    assert "苏州市公共数据开放平台" not in page.text

    switch_to(client, "zh_CN")
    assert '<html lang="zh-CN">' in client.get("/about").text


def test_language_switch_falls_back_to_chinese_for_an_unknown_language(client: TestClient) -> None:
    switch_to(client, "en")
    switch_to(client, "fr")
    assert '<html lang="zh-CN">' in client.get("/").text


def test_language_switch_without_a_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/")  # the session exists and holds a token, but the form does not send it
    answer = client.post("/lang", data={"lang": "en", "next": "/about"})
    assert answer.status_code == 403
    assert "表单已过期" in answer.text and '<html lang="zh-CN">' in answer.text
    assert '<html lang="zh-CN">' in client.get("/about").text


def test_language_switch_with_a_wrong_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/")
    answer = client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": "forged"})
    assert answer.status_code == 403


@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/about", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "", "about", "/\r\nSet-Cookie: x=1",
])
def test_language_switch_never_redirects_off_site(client: TestClient, target: str) -> None:
    token = csrf_from(client)
    answer = client.post("/lang", data={"lang": "en", "next": target, "csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_language_switch_keeps_a_local_target(client: TestClient) -> None:
    token = csrf_from(client)
    answer = client.post("/lang", data={"lang": "en", "next": "/catalog?q=bus", "csrf_token": token})
    assert answer.headers["location"] == "/catalog?q=bus"


def test_safe_next() -> None:
    assert safe_next("/about#rules") == "/about#rules"
    assert safe_next(None) == "/"
    assert safe_next("/\tevil") == "/"


# ---------------------------------------------------------------- errors

def test_unknown_path_gives_the_friendly_404_in_chinese(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert '<html lang="zh-CN">' in page.text
    assert "页面不存在" in page.text and "返回首页" in page.text
    assert 'class="error-page"' in page.text


def test_unknown_path_in_english(client: TestClient) -> None:
    switch_to(client, "en")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "Page not found" in page.text


# ---------------------------------------------------------------- translations

def template_msgids() -> dict[str, str]:
    """msgid -> where it is used, for every literal _("...") and {% trans %} in the scanned templates."""
    found: dict[str, str] = {}
    for pattern in TRANSLATED_TEMPLATE_GLOBS:
        for path in sorted(PKG.glob(pattern)):
            with path.open("rb") as fh:
                for lineno, message, _comments, _ctx in extract(babel_extract, fh, options=_JINJA_OPTIONS):
                    msgid = message[0] if isinstance(message, tuple) else message
                    if msgid:
                        found.setdefault(msgid, f"{path.relative_to(PKG.parent)}:{lineno}")
    return found


def _error_classes(base: type) -> list[type]:
    return [base, *(c for sub in base.__subclasses__() for c in _error_classes(sub))]


def python_msgids() -> dict[str, str]:
    from kaifang.errors import KaifangError
    from kaifang.web.errors import TITLES
    from kaifang.web.forms import _PYDANTIC_MSGIDS

    found: dict[str, str] = {}
    for name in TRANSLATED_PYTHON_FILES:
        path = PKG / name
        with path.open("rb") as fh:
            for lineno, message, _comments, _context in extract("python", fh, keywords={"gettext_": None}):
                if isinstance(message, str) and message:
                    found.setdefault(message, f"kaifang/{name}:{lineno}")
    for title in TITLES.values():
        found.setdefault(title, "kaifang.web.errors.TITLES")
    for msgid in _PYDANTIC_MSGIDS.values():  # what a form's own check says
        found.setdefault(msgid, "kaifang.web.forms")
    for error in _error_classes(KaifangError):  # what an error says when it is raised without a msgid
        found.setdefault(error.default_msgid, f"kaifang.errors.{error.__name__}")
    for _code, label in PRIORITY_DOMAINS:
        found.setdefault(label, "kaifang.web.routes.pages.PRIORITY_DOMAINS")
    for _code, label in OPEN_CLASSES:
        found.setdefault(label, "kaifang.web.routes.pages.OPEN_CLASSES")
    return found


def all_msgids() -> dict[str, str]:
    return {**python_msgids(), **template_msgids()}


def test_the_msgid_scan_finds_what_it_should() -> None:
    """Guard against an extractor that silently finds nothing."""
    templates = template_msgids()
    assert {"Skip to main content", "Page %(page)s of %(pages)s", "Back to the home page",
            "Browse by domain", "Platform rules of use"} <= set(templates)
    assert not any("/console/" in where for where in templates.values())
    assert {"Please sign in first.", "Invalid or missing fields: %(fields)s", "Page not found",
            "Public credit"} <= set(python_msgids())
    assert len(templates) > 120


def test_every_web_shell_msgid_has_a_chinese_translation() -> None:
    zh = translations("zh_CN")
    missing = {msgid: where for msgid, where in all_msgids().items() if zh.gettext(msgid) == msgid}
    assert missing == {}, "msgids without a zh_CN translation:\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]))


def test_web_shell_translations_keep_their_placeholders() -> None:
    zh = translations("zh_CN")
    wrong = []
    for msgid in all_msgids():
        text = zh.gettext(msgid)
        if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid)):
            wrong.append(f"{msgid!r} -> {text!r}")
        # Jinja's newstyle gettext always applies "% params": a stray % would break the page.
        if "%" in PLACEHOLDER.sub("", text).replace("%%", ""):
            wrong.append(f"stray % in {text!r}")
    assert wrong == []


def test_sample_translations() -> None:
    zh = translations("zh_CN")
    assert zh.gettext("Suzhou Public Data Open Platform") == "苏州市公共数据开放平台"
    assert zh.gettext("Kaifang") == "开放"
    assert zh.gettext("Personal centre") == "个人中心"
    assert zh.gettext("Console") == "管理控制台"
    assert zh.gettext("Sign in") == "登录"
    assert zh.gettext("Register") == "注册"
    assert zh.gettext("Sign out") == "退出"
    assert zh.gettext("Unconditionally open") == "无条件开放"
