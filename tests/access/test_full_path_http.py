"""The whole conditional-access path over HTTP, as its people click through it (A20.1-A22.1), on whichever
database the suite runs on (SQLite, and PostgreSQL in CI's second pass):

apply -> not accepted with two reasons -> corrected and resubmitted -> accepted -> approved with 3 of 8 data
items and a row filter -> both sign -> the grantee downloads the CSV and calls the API (with a key bound to the
grant) and sees only those items and rows -> the period ends -> refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from kaifang.access.models import AccessApplication, Grant
from kaifang.accounts.apikeys import create_api_key
from tests.access.factories import FIELDS, GRANTED, ROW_FILTER, ROWS, conditional_register, people, today
from tests.personas import csrf_from, login

KUNSHAN_NAMES = {r[1] for r in ROWS if r[4] == "昆山市"}


def _client(app, world, persona: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(c, world.emails[persona])
    return c


def _post(c: TestClient, path: str, data: dict, page: str):
    response = c.post(path, data={**data, "csrf_token": csrf_from(c, page)})
    assert response.status_code == 303, (path, response.status_code, response.text[:3000])
    return response


def test_apply_refuse_to_accept_resubmit_accept_approve_sign_read_expire_A20_A21_A22(
        session, settings, world, tmp_path, app, clock):
    entry = conditional_register(session, settings, world, tmp_path)
    company = _client(app, world, "company")
    bureau = _client(app, world, "city_bureau")
    staff = _client(app, world, "provider_staff")
    cdo = _client(app, world, "provider_cdo")
    other = _client(app, world, "citizen")
    start, end = today(), today() + dt.timedelta(days=60)

    # A20.1: the company applies for all 8 data items.
    form = {"title": "企业画像研究数据申请", "reason": "开展昆山市中小企业发展研究。", "kind": "dataset",
            "deliveries": ["download", "api"], "period_start": start.isoformat(), "period_end": end.isoformat(),
            "results_form": "研究报告一份", "scenario": "模糊", "commitment": "on",
            "entry_id": [str(entry.id)], f"fields_{entry.id}": FIELDS}
    r = _post(company, "/access/new", form, f"/access/new?entry={entry.id}")
    app_id = int(re.search(r"/access/(\d+)$", r.headers["location"]).group(1))
    _post(company, f"/access/{app_id}/submit", {}, f"/access/{app_id}")

    # A20.2: not accepted, with two reasons at once; the applicant reads both in Chinese.
    _post(bureau, f"/console/access/{app_id}/not-accept",
          {"reasons": ["scenario_unclear", "fields_excessive"], "note": "请说明应用场景"}, f"/console/access/{app_id}")
    page = company.get(f"/access/{app_id}").text
    assert "不予受理" in page or "未受理" in page
    assert "应用场景" in page and "请说明应用场景" in page

    # Corrected and resubmitted; accepted; the provider's 10 working days start.
    _post(company, f"/access/{app_id}/edit", {**form, "scenario": "为昆山市产业政策评估提供数据支撑。"},
          f"/access/{app_id}/edit")
    _post(company, f"/access/{app_id}/submit", {}, f"/access/{app_id}")
    _post(bureau, f"/console/access/{app_id}/accept", {"note": "材料齐全"}, f"/console/access/{app_id}")
    session.expire_all()
    assert session.get(AccessApplication, app_id).due_at is not None

    # A20.3: approved with 3 of the 8 data items and a row filter, for download and the API.
    _post(staff, f"/console/access/{app_id}/approve", {
        "purpose": "昆山市中小企业发展研究", "deliveries": ["download", "api"], "period_start": start.isoformat(),
        "period_end": end.isoformat(), f"fields_{entry.id}": GRANTED, f"row_filter_{entry.id}": ROW_FILTER,
    }, f"/console/access/{app_id}")

    # A21.1: both sign the exact text they were shown.
    page = company.get(f"/access/{app_id}").text
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)
    assert company.get(f"/datasets/{entry.id}/download/csv").status_code == 403  # not before both signed
    _post(company, f"/access/{app_id}/sign", {"side": "applicant", "sha256": sha}, f"/access/{app_id}")
    _post(cdo, f"/console/access/{app_id}/sign", {"sha256": sha}, f"/console/access/{app_id}")
    text = company.get(f"/access/{app_id}/agreement.txt")
    assert text.status_code == 200 and sha in text.text and "利用目的" in text.text

    # A20.4, A22.1: the grantee downloads the CSV and calls the API: 3 items, the Kunshan rows only.
    r = company.get(f"/datasets/{entry.id}/download/csv")
    assert r.status_code == 200, r.text[:500]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert set(rows[0]) == set(GRANTED) and {row["name"] for row in rows} == KUNSHAN_NAMES
    r = company.get(f"/api/v1/datasets/{entry.id}/records")
    assert r.status_code == 200, r.text[:500]
    assert r.json()["fields"] == GRANTED and {x["name"] for x in r.json()["records"]} == KUNSHAN_NAMES
    # A key bound to the grant reads the same, and nothing else.
    grant_id = session.execute(select(Grant.id).where(Grant.application_id == app_id)).scalar_one()
    key = create_api_key(session, people(session, world).applicant, "研究脚本")
    _post(company, f"/access/grants/{grant_id}/key", {"key_id": str(key.key.id)}, f"/access/{app_id}")
    anonymous = TestClient(app, base_url="http://testserver", follow_redirects=False)
    r = anonymous.get(f"/api/v1/datasets/{entry.id}/records", headers={"X-API-Key": key.plaintext})
    assert r.status_code == 200 and r.json()["fields"] == GRANTED
    # Nobody else reads it.
    assert other.get(f"/datasets/{entry.id}/download/csv").status_code == 403
    assert anonymous.get(f"/api/v1/datasets/{entry.id}/records").status_code in (401, 403)

    # A21.1: the period ends at 24:00 of its last day; the next request is refused.
    ends = session.execute(select(Grant.ends_at).where(Grant.id == grant_id)).scalar_one()
    clock.set(ends + dt.timedelta(seconds=1))
    assert company.get(f"/datasets/{entry.id}/download/csv").status_code == 403
    assert company.get(f"/api/v1/datasets/{entry.id}/records").status_code == 403
    r = anonymous.get(f"/api/v1/datasets/{entry.id}/records", headers={"X-API-Key": key.plaintext})
    assert r.status_code == 403
    for c in (company, bureau, staff, cdo, other, anonymous):
        c.close()
