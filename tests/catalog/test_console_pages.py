"""The catalog console over HTTP (A14.2, A15.1, A9.2 目录发布, A16.2, A19.1): a provider's data staff registers an
entry through the form, uploads its data, submits it; the chief data officer reviews and publishes it; then
anyone finds it, previews it, downloads it in every format and queries it through the API."""

from __future__ import annotations

import csv
import io
import json
import re

import duckdb
import openpyxl
from defusedxml import ElementTree
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.catalog.models import CatalogEntry
from kaifang.datastore.queries import ingest_runs, versions
from kaifang.security import SYSTEM
from tests.personas import World, csrf_from, login, post_form

BUS_ITEMS = [
    {"name": "line_no", "title": "线路编号", "type": "string", "description": "公交线路的编号", "required": "1"},
    {"name": "line_name", "title": "线路名称", "type": "string", "description": "公交线路的名称"},
    {"name": "first_bus", "title": "首班时间", "type": "string", "description": "首班车发车时间"},
    {"name": "fare", "title": "票价", "type": "decimal", "unit": "元", "description": "单程票价"},
]
BUS_ROWS = [
    {"line_no": "1", "line_name": "火车站—南门", "first_bus": "05:30", "fare": 2.0},
    {"line_no": "2", "line_name": "观前街—工业园区", "first_bus": "06:00", "fare": 1.5},
    {"line_no": "游1", "line_name": "苏州博物馆—虎丘", "first_bus": "07:15", "fare": 5.0},
]


def bus_csv(rows: list[dict] = BUS_ROWS, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["line_no", "line_name", "first_bus", "fare"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def entry_form(items: list[dict] = BUS_ITEMS, **overrides: object) -> dict:
    """The console form of a complete entry (A14.2): 苏州市公交线路信息, with empty item rows after the items."""
    data: dict = {
        "name": "苏州市公交线路信息", "summary": "全市公交线路的线路编号、首班时间和票价。", "domain": "transport",
        "tags": "公交, 出行", "open_class": "unconditional", "data_type": "table", "formats": ["csv", "json", "xlsx"],
        "update_frequency": "monthly", "contact_name": "吴数据", "contact_phone": "0512-12345678",
        "contact_email": "data@jtj.suzhou.gov.cn", "row_count": "",
    }
    for i, item in enumerate([*items, {}, {}]):
        for key in ("name", "title", "type", "format", "unit", "description", "sensitivity"):
            default = {"type": "string", "sensitivity": "public"}.get(key, "")
            data[f"items-{i}-{key}"] = item.get(key, default)
        if item.get("required"):
            data[f"items-{i}-required"] = "1"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def sign_in_as(client: TestClient, world: World, persona: str) -> None:
    client.cookies.clear()
    login(client, world.emails[persona])


def create_entry_via_form(client: TestClient, world: World, **overrides: object) -> int:
    response = post_form(client, "/console/catalog/new", {"org_id": str(world.orgs["agency"]),
                                                          **entry_form(**overrides)})
    assert response.status_code == 303, response.text[:2000]
    return int(response.headers["location"].rsplit("/", 1)[1])


def upload(client: TestClient, entry_id: int, content: bytes, filename: str = "bus.csv", note: str = ""):
    token = csrf_from(client, f"/console/catalog/{entry_id}/data")
    return client.post(f"/console/catalog/{entry_id}/upload", data={"csrf_token": token, "note": note},
                       files={"file": (filename, content, "application/octet-stream")})


def act(client: TestClient, entry_id: int, action: str, **data: str):
    return post_form(client, f"/console/catalog/{entry_id}/{action}", data, token_from=f"/console/catalog/{entry_id}")


def publish_via_console(client: TestClient, world: World, entry_id: int) -> None:
    """The staff submits; the chief data officer records both reviews and publishes (A15.1)."""
    assert act(client, entry_id, "submit").status_code == 303
    sign_in_as(client, world, "provider_cdo")
    for kind, opinion in (("privacy", "未发现个人隐私和商业秘密"), ("legality", "符合法律法规")):
        response = act(client, entry_id, "review", kind=kind, conclusion="approve", opinion=opinion)
        assert response.status_code == 303, response.text[:2000]
    assert act(client, entry_id, "publish").status_code == 303


def numeric(rows: list[dict]) -> list[dict]:
    return [{**r, "fare": float(r["fare"])} for r in rows]


# --- the whole journey -------------------------------------------------------------------------------

def test_a14_a15_a16_from_the_agency_form_to_every_download(client: TestClient, world: World,
                                                            session: Session) -> None:
    sign_in_as(client, world, "provider_staff")
    assert "数据目录管理" in client.get("/console").text  # the menu item
    entry_id = create_entry_via_form(client, world, update_frequency="", formats=None)
    page = client.get(f"/console/catalog/{entry_id}").text
    assert "草稿" in page and "更新频率" in page and "数据格式" in page  # the completeness checklist

    # A14.2: submitting an incomplete entry is refused, naming every missing element.
    refused = act(client, entry_id, "submit")
    assert refused.status_code == 400
    problem = re.search(r'id="problem-submit">(.*?)</div>', refused.text, re.S).group(1)
    assert "目录信息不完整" in problem
    assert "<li>数据格式</li>" in problem and "<li>更新频率</li>" in problem
    assert session.get(CatalogEntry, entry_id).status == "draft"

    edit = post_form(client, f"/console/catalog/{entry_id}/edit", entry_form(),
                     token_from=f"/console/catalog/{entry_id}/edit")
    assert edit.status_code == 303, edit.text[:2000]

    # A9.2 目录发布: the upload is checked and converted during the POST (jobs run immediately in tests).
    answer = upload(client, entry_id, bus_csv(), note="首版")
    assert answer.status_code == 303, answer.text[:2000]
    (run,) = ingest_runs(session, SYSTEM, entry_id)
    session.refresh(run)
    assert run.state == "succeeded" and run.version_id is not None, run.problems_json
    (version,) = versions(session, SYSTEM, entry_id)
    assert version.id == run.version_id
    assert version.row_count == 3 and version.number == 1
    data_page = client.get(f"/console/catalog/{entry_id}/data")
    assert "已发布为新版本" in data_page.text and 'value="1.000" max="1"' in data_page.text
    assert "Refresh" not in data_page.headers

    publish_via_console(client, world, entry_id)
    entry = session.get(CatalogEntry, entry_id)
    session.refresh(entry)
    assert entry.status == "published" and entry.citation

    # Anyone finds it by a Chinese word and opens its page.
    client.cookies.clear()
    found = client.get("/catalog", params={"q": "公交"}).text
    assert f'href="/datasets/{entry.slug}"' in found and "<mark>公交</mark>" in found
    page = client.get(f"/datasets/{entry.slug}").text
    for value in ("火车站—南门", "观前街—工业园区", "线路编号", "票价", "元", "公交线路的编号"):
        assert value in page
    assert entry.citation.split(".")[0] in page and f"/api/v1/datasets/{entry_id}/records" in page
    assert "line_name__contains=" in page and "_group_by=line_no" in page  # examples with its real columns

    # A16.2: every format holds exactly the uploaded rows.
    base = f"/datasets/{entry_id}/download"
    responses = {fmt: client.get(f"{base}/{fmt}") for fmt in ("csv", "json", "xml", "xlsx", "parquet")}
    assert all(r.status_code == 200 for r in responses.values()), {f: r.status_code for f, r in responses.items()}
    assert numeric(list(csv.DictReader(io.StringIO(responses["csv"].content.decode("utf-8"))))) == BUS_ROWS
    assert numeric(json.loads(responses["json"].content)) == BUS_ROWS
    root = ElementTree.fromstring(responses["xml"].content)
    assert numeric([{c.tag: c.text for c in row} for row in root]) == BUS_ROWS
    sheet = openpyxl.load_workbook(io.BytesIO(responses["xlsx"].content), read_only=True).worksheets[0]
    header, *values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert numeric([dict(zip(header, r, strict=True)) for r in values]) == BUS_ROWS
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?)", [_saved(responses["parquet"].content)])
        cols = [d[0] for d in con.execute("SELECT * FROM t").description]
        parquet_rows = [dict(zip(cols, r, strict=True)) for r in con.execute("SELECT * FROM t").fetchall()]
    assert numeric(parquet_rows) == BUS_ROWS
    bom = client.get(f"{base}/csv", params={"bom": "1"})
    assert bom.content.startswith(b"\xef\xbb\xbf")

    # A19.1: the data API, filtered by a column.
    api = client.get(f"/api/v1/datasets/{entry_id}/records", params={"line_name__contains": "虎丘"})
    assert api.status_code == 200 and [r["line_no"] for r in api.json()["records"]] == ["游1"]


def _saved(content: bytes) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".parquet", delete=False) as fh:
        fh.write(content)
        return fh.name


# --- the form ----------------------------------------------------------------------------------------

def test_a14_2_the_form_shows_each_wrong_value_next_to_its_field(client: TestClient, world: World,
                                                                 session: Session) -> None:
    sign_in_as(client, world, "provider_staff")
    items = [{**BUS_ITEMS[0], "name": "Line No"}, BUS_ITEMS[1], {**BUS_ITEMS[2], "name": "line_name"}]
    before = session.execute(select(func.count()).select_from(CatalogEntry)).scalar_one()
    response = post_form(client, "/console/catalog/new", {"org_id": str(world.orgs["agency"]),
                                                          **entry_form(items=items, contact_email="not-an-email",
                                                                       row_count="many")})
    assert response.status_code == 400
    page = response.text
    assert 'id="e-row_count"' in page and "请输入大于或等于 0 的整数。" in page
    # The form keeps what was typed, and offers eight empty rows after the items.
    assert 'name="items-0-name" value="Line No"' in page and 'name="items-10-name" value=""' in page
    assert session.execute(select(func.count()).select_from(CatalogEntry)).scalar_one() == before

    response = post_form(client, "/console/catalog/new", {"org_id": str(world.orgs["agency"]),
                                                          **entry_form(items=items, contact_email="not-an-email")})
    assert response.status_code == 400
    rows = re.findall(r'<tr class="has-error">.*?</tr>\s*<tr><td></td><td colspan="8"><p class="error">(.*?)</p>',
                      response.text, re.S)
    assert len(rows) == 2  # the bad machine name (row 1) and the repeated one (row 3)
    assert 'id="e-contact_email"' in response.text


def test_a14_2_blank_item_rows_are_ignored_and_the_edit_form_shows_the_items(client: TestClient, world: World,
                                                                             session: Session) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    entry = session.get(CatalogEntry, entry_id)
    assert entry.field_count == 4 and entry.status == "draft"
    form = client.get(f"/console/catalog/{entry_id}/edit").text
    assert 'name="items-3-name" value="fare"' in form and 'name="items-11-name" value=""' in form
    assert 'name="items-12-name"' not in form


def test_a15_1_a_rejection_needs_an_opinion_and_shows_next_to_the_review_form(client: TestClient, world: World,
                                                                             session: Session) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    assert act(client, entry_id, "submit").status_code == 303
    sign_in_as(client, world, "provider_cdo")
    page = client.get(f"/console/catalog/{entry_id}").text
    assert f'action="/console/catalog/{entry_id}/review"' in page
    refused = act(client, entry_id, "review", kind="privacy", conclusion="reject", opinion="")
    assert refused.status_code == 400 and 'id="problem-review"' in refused.text
    assert session.get(CatalogEntry, entry_id).status == "submitted"
    rejected = act(client, entry_id, "review", kind="privacy", conclusion="reject", opinion="含有个人手机号")
    assert rejected.status_code == 303
    session.expire_all()
    assert session.get(CatalogEntry, entry_id).status == "draft"
    history = client.get(f"/console/catalog/{entry_id}").text
    assert "含有个人手机号" in history and "退回开放主体" in history


def test_a15_1_the_staff_sees_no_review_or_publish_button(client: TestClient, world: World) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    assert act(client, entry_id, "submit").status_code == 303
    page = client.get(f"/console/catalog/{entry_id}").text
    assert f"/console/catalog/{entry_id}/review" not in page and f"/console/catalog/{entry_id}/publish" not in page
    assert f"/console/catalog/{entry_id}/recall" in page
    assert act(client, entry_id, "publish").status_code == 403


def test_a8_2_a_class_change_is_shown_with_its_reason_on_the_dataset_page(client: TestClient, world: World,
                                                                         session: Session) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world, open_class="not_open")
    publish_via_console(client, world, entry_id)
    slug = session.get(CatalogEntry, entry_id).slug
    client.cookies.clear()
    assert "全市公交线路" not in client.get(f"/datasets/{slug}").text  # A7.2: name and provider only
    sign_in_as(client, world, "provider_cdo")
    changed = act(client, entry_id, "open-class", to_class="unconditional", reason="已完成脱敏处理", conditions="")
    assert changed.status_code == 303, changed.text[:2000]
    client.cookies.clear()
    page = client.get(f"/datasets/{slug}").text
    assert "已完成脱敏处理" in page and "不予开放" in page and "全市公交线路" in page


def test_the_console_list_shows_the_entries_of_my_organisation_with_their_state(client: TestClient,
                                                                                world: World) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    listing = client.get("/console/catalog").text
    assert f'href="/console/catalog/{entry_id}"' in listing and "草稿" in listing
    sign_in_as(client, world, "other_provider_staff")
    assert f'href="/console/catalog/{entry_id}"' not in client.get("/console/catalog").text
    assert client.get(f"/console/catalog/{entry_id}").status_code == 404
