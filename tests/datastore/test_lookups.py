"""A19.1, A22.1: named lookup services over a dataset, e.g. an enterprise by its credit code."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from kaifang.datastore import services
from kaifang.datastore.lookups import create_lookup_service
from kaifang.datastore.models import LookupService
from kaifang.demo.generate import enterprises
from kaifang.security import SYSTEM
from tests.catalog.factories import entry_input, publish_as_system
from tests.personas import login, post_form

ITEMS = ["uscc", "name", "district", "capital"]


def _enterprise_entry(session, settings, world, tmp_path, **overrides):
    from kaifang.catalog import DataItemInput

    items = [DataItemInput(name="uscc", title="统一社会信用代码", format="uscc", description="代码", required=True),
             DataItemInput(name="name", title="企业名称", description="名称"),
             DataItemInput(name="district", title="所属区域", description="区域"),
             DataItemInput(name="capital", title="注册资本", type="decimal", unit="万元", description="资本")]
    entry = publish_as_system(session, world.orgs["agency"], entry_input(name="企业登记信息(查询测试)", items=items,
                                                                         **overrides))
    rows = list(enterprises(50, seed=7))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(ITEMS)
    for r in rows:
        w.writerow([r[k] for k in ITEMS])
    src = tmp_path / "ent.csv"
    src.write_text(buf.getvalue(), encoding="utf-8")
    path, size = services.place_as_upload(src, settings)
    services.start_ingest(session, SYSTEM, entry.id, path, "ent.csv", size)
    return entry, rows


def test_lookup_by_credit_code_A19_1(client, session, settings, world, tmp_path):
    entry, rows = _enterprise_entry(session, settings, world, tmp_path)
    create_lookup_service(session, SYSTEM, entry.id, "enterprise_by_uscc", "按统一社会信用代码查询企业", "",
                          "uscc", "name,district")
    target = rows[17]
    r = client.get("/api/v1/lookup/enterprise_by_uscc", params={"uscc": target["uscc"]})
    assert r.status_code == 200, r.text
    assert r.json()["records"] == [{"name": target["name"], "district": target["district"]}]
    r = client.get("/api/v1/lookup/enterprise_by_uscc")
    assert r.status_code == 400 and "uscc" in r.json()["error"]["message"]
    assert client.get("/api/v1/lookup/no_such_service", params={"uscc": "x"}).status_code == 404
    page = client.get("/services")
    assert "按统一社会信用代码查询企业" in page.text and "/api/v1/lookup/enterprise_by_uscc?uscc=" in page.text


def test_lookup_over_conditional_data_is_refused_without_a_grant_A20_4(client, session, settings, world, tmp_path):
    entry, rows = _enterprise_entry(session, settings, world, tmp_path, open_class="conditional",
                                    open_conditions="仅限金融机构用于授信审查")
    create_lookup_service(session, SYSTEM, entry.id, "credit_check", "企业信用核验", "", "uscc", "")
    r = client.get("/api/v1/lookup/credit_check", params={"uscc": rows[0]["uscc"]})
    assert r.status_code == 403


def test_provider_publishes_a_lookup_in_the_console(client, session, settings, world, tmp_path):
    entry, _ = _enterprise_entry(session, settings, world, tmp_path)
    login(client, world.emails["provider_staff"])
    page = f"/console/catalog/{entry.id}/data"
    r = post_form(client, f"/console/catalog/{entry.id}/lookups",
                  {"name": "by_name", "title": "按名称查询", "key_fields": "name,nope", "return_fields": ""},
                  token_from=page)
    assert r.status_code == 400 and 'id="e-key_fields"' in r.text
    r = post_form(client, f"/console/catalog/{entry.id}/lookups",
                  {"name": "by_name", "title": "按名称查询", "key_fields": "name", "return_fields": ""},
                  token_from=page)
    assert r.status_code == 303
    svc = session.execute(select(LookupService).where(LookupService.name == "by_name")).scalar_one()
    assert svc.entry_id == entry.id
