"""The public catalog and dataset pages over HTTP (A9.2 目录检索, A17.1, A17.2, A7.2, A24.1), and a Chinese
translation for every msgid of the catalog's and the data engine's templates."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import kaifang
from kaifang.catalog import DataItemInput, EntryInput
from kaifang.catalog.models import CatalogEntry
from kaifang.catalog.routes import forms
from kaifang.datastore.ingest.errors import ALL_MSGIDS
from kaifang.i18n import translations
from tests.catalog.factories import draft, publish_as_system
from tests.personas import World, csrf_from

PKG = Path(kaifang.__file__).resolve().parent
ITEMS = [DataItemInput(name="record_id", title="记录编号", type="string", description="数据记录的唯一编号")]


def _publish(session: Session, org_id: int, name: str, **values: object) -> CatalogEntry:
    data: dict = dict(name=name, summary=f"{name}的摘要。", domain="transport", tags=["出行"], formats=["csv"],
                      update_frequency="daily", open_class="unconditional", data_type="table", items=list(ITEMS))
    data.update(values)
    return publish_as_system(session, org_id, EntryInput(**data))


@pytest.fixture
def three(session: Session, world: World) -> dict[str, CatalogEntry]:
    """Two providers, three domains, all three open classes."""
    return {
        "bus": _publish(session, world.orgs["agency"], "苏州市公交线路信息", summary="全市公交线路和站点。",
                        tags=["公交", "出行"], formats=["csv", "json"]),
        "parking": _publish(session, world.orgs["agency"], "苏州市公共停车场信息", domain="transport",
                            tags=["停车", "出行"], update_frequency="monthly", open_class="conditional",
                            open_conditions="仅限交通研究机构使用"),
        "firms": _publish(session, world.orgs["other_agency"], "昆山市企业登记信息", domain="market",
                          summary="企业名称、统一社会信用代码和登记机关，含秘密摘要。", tags=["企业"],
                          open_class="not_open"),
    }


def test_a9_2_the_catalog_searches_in_chinese_and_highlights(client: TestClient, three) -> None:
    page = client.get("/catalog", params={"q": "公交"}).text
    assert f'href="/datasets/{three["bus"].slug}"' in page
    assert "苏州市<mark>公交</mark>线路信息" in page and "全市<mark>公交</mark>线路和站点。" in page
    assert three["parking"].slug not in page and "共找到 1 个数据集。" in page


def test_a9_2_facets_count_and_their_links_add_or_remove_one_filter(client: TestClient, world: World,
                                                                    three) -> None:
    page = client.get("/catalog").text
    assert "共找到 3 个数据集。" in page
    assert re.search(r'href="/catalog\?domain=transport">交通运输 <span class="muted">\(2\)</span>', page)
    assert re.search(r'href="/catalog\?domain=market">市场监管 <span class="muted">\(1\)</span>', page)
    agency = world.orgs["agency"]
    assert re.search(rf'href="/catalog\?provider={agency}">苏州市交通运输局\(测试\) <span class="muted">\(2\)', page)
    assert re.search(r'href="/catalog\?region=320583">昆山市 <span class="muted">\(1\)', page)
    assert re.search(r'href="/catalog\?open_class=not_open">不予开放 <span class="muted">\(1\)', page)
    assert re.search(r'href="/catalog\?frequency=monthly">每月 <span class="muted">\(1\)', page)
    assert re.search(r'href="/catalog\?tag=%E5%85%AC%E4%BA%A4">公交 <span class="muted">\(1\)', page)

    chosen = client.get("/catalog", params={"q": "苏州", "domain": "transport", "tag": "出行"}).text
    # Each link changes one filter and keeps the others; a chosen value's link removes it.
    assert 'href="/catalog?q=%E8%8B%8F%E5%B7%9E&amp;tag=%E5%87%BA%E8%A1%8C" aria-current="true"' in chosen
    assert 'href="/catalog?q=%E8%8B%8F%E5%B7%9E&amp;domain=transport" aria-current="true"' in chosen
    assert ('href="/catalog?q=%E8%8B%8F%E5%B7%9E&amp;domain=transport&amp;open_class=conditional'
            '&amp;tag=%E5%87%BA%E8%A1%8C"') in chosen
    assert '<input type="hidden" name="tag" value="出行">' in chosen
    assert "共找到 2 个数据集。" in chosen and three["firms"].slug not in chosen


def test_a7_2_a_not_open_entry_shows_only_its_name_and_provider(client: TestClient, three) -> None:
    page = client.get("/catalog", params={"open_class": "not_open"}).text
    assert "昆山市企业登记信息" in page and "昆山市市场监督管理局(测试)" in page
    assert "秘密摘要" not in page and "该数据集不予开放" in page
    entry_page = client.get(f"/datasets/{three['firms'].slug}").text
    assert "昆山市企业登记信息" in entry_page and "昆山市市场监督管理局(测试)" in entry_page
    assert "该数据目录属于不予开放类" in entry_page
    for hidden in ("秘密摘要", "记录编号", "record_id", "/api/v1/datasets", "download"):
        assert hidden not in entry_page


def test_a9_2_sorting_and_paging_keep_the_filters(client: TestClient, session: Session, world: World) -> None:
    for n in range(22):
        _publish(session, world.orgs["agency"], f"苏州市交通统计第{n}号表")
    first = client.get("/catalog", params={"domain": "transport", "sort": "updated"}).text
    assert 'href="/catalog?domain=transport&amp;sort=updated&amp;page=2" rel="next"' in first
    assert 'href="/catalog?domain=transport&amp;sort=popular">最受欢迎</a>' in first
    assert "<strong aria-current=\"true\">最近更新</strong>" in first
    second = client.get("/catalog", params={"domain": "transport", "sort": "updated", "page": "2"}).text
    assert len(re.findall(r'<li class="card">', second)) == 2
    assert client.get("/catalog", params={"page": "abc", "sort": "nonsense"}).status_code == 200


def test_a9_2_an_empty_search_says_so_and_offers_a_demand(client: TestClient, three) -> None:
    page = client.get("/catalog", params={"q": "火星基地"}).text
    assert "没有符合检索条件的数据集。" in page and 'href="/interaction#demands"' in page


def test_a17_2_the_dataset_page_is_stable_by_code_and_by_id_and_counts_views(client: TestClient, session: Session,
                                                                            three) -> None:
    bus = three["bus"]
    by_code, by_id = client.get(f"/datasets/{bus.slug}"), client.get(f"/datasets/{bus.id}")
    assert by_code.status_code == by_id.status_code == 200
    page = by_code.text
    for text in ("苏州市公交线路信息", "苏州市交通运输局(测试)", "无条件开放", "每日", "数据表", "CSV, JSON", bus.slug,
                 "记录编号", "数据记录的唯一编号", "公交"):
        assert text in page, text
    # A24.1: the citation, ready to copy, with the stable address.
    citation = re.search(r'<textarea id="citation-text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert "苏州市公交线路信息[DS]" in citation and f"/datasets/{bus.slug}" in citation
    session.refresh(bus)
    assert bus.views == 2


def test_a7_3_the_conditions_of_a_conditional_entry_are_stated(client: TestClient, three) -> None:
    page = client.get(f"/datasets/{three['parking'].slug}").text
    assert "仅限交通研究机构使用" in page and "有条件开放数据仅提供给申请获批的利用主体" in page


def test_a17_2_drafts_and_unknown_entries_answer_404(client: TestClient, session: Session, world: World) -> None:
    from kaifang.security import SYSTEM

    hidden = draft(session, SYSTEM, world.orgs["agency"])
    assert client.get(f"/datasets/{hidden.slug}").status_code == 404
    assert client.get("/datasets/SZ-9999-9999").status_code == 404
    assert client.get("/datasets/999999").status_code == 404


def test_the_catalog_speaks_english_on_request(client: TestClient, three) -> None:
    token = csrf_from(client, "/catalog")
    client.post("/lang", data={"lang": "en", "next": "/catalog", "csrf_token": token})
    page = client.get("/catalog").text
    assert "Unconditionally open" in page and "3 datasets found." in page
    assert "Data preview" in client.get(f"/datasets/{three['bus'].slug}").text


# --- translations -------------------------------------------------------------------------------------

TEMPLATE_DIRS = [PKG / "catalog" / "templates", PKG / "datastore" / "templates"]
_TEMPLATE_CALL = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")


def page_msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            for m in _TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(re.sub(r"\\(.)", r"\1", m.group(1) if m.group(1) is not None else m.group(2)),
                                 path.name)
    # Python: literals passed to gettext_(), the success message of act() (``done=``) and of the console's
    # _move() (its 8th argument).
    for path in [*(PKG / "catalog" / "routes").glob("*.py"), PKG / "datastore" / "routes" / "pages.py",
                 PKG / "datastore" / "services.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                index = {"gettext_": 0, "_move": 7, "Message": 0, "BusinessRuleError": 0}.get(node.func.id)
                if index is not None and len(node.args) > index and isinstance(node.args[index], ast.Constant):
                    found.setdefault(node.args[index].value, path.name)
                for kw in node.keywords:
                    if kw.arg == "done" and isinstance(kw.value, ast.Constant):
                        found.setdefault(kw.value.value, path.name)
    for msgid in (forms.NOT_A_NUMBER, forms.TOO_LONG, forms.BAD_VALUE, "Please choose the provider.",
                  "Catalog entries", "Reviews waiting", *ALL_MSGIDS):
        found.setdefault(msgid, "code")
    return found


def test_the_scan_finds_the_msgids() -> None:
    found = page_msgids()
    assert {"Data preview", "Record the review", "Catalog entries", "The entry has been published.",
            "Please choose a file to upload.", "Upload and check", "Line"} <= set(found)
    assert len(found) > 250 and not any("{{" in m for m in found)


def test_every_page_msgid_has_a_chinese_translation() -> None:
    zh = translations("zh_CN")
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in page_msgids().items() if zh.gettext(msgid) == msgid)
    assert missing == []


def test_page_translations_keep_their_placeholders() -> None:
    zh = translations("zh_CN")
    wrong = []
    for msgid in page_msgids():
        text = zh.gettext(msgid)
        if set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(msgid)):
            wrong.append(f"{msgid!r} -> {text!r}")
        if "%" in _PLACEHOLDER.sub("", text).replace("%%", ""):  # Jinja's newstyle gettext always applies %
            wrong.append(f"stray % in {text!r}")
    assert wrong == []
