"""The generated access matrix (A7.2-A7.4, A20.4, A21.1, A22.1, A34.1): open class x grant state x delivery path x
persona, every cell asked over HTTP, and no path may serve data it should not.

Grants are made through the real process (apply, accept, approve, sign) on a conditionally open register of
8 data items; each grant then sits in one state. The open class of every entry is then changed (A8.2) to
unconditional and to not open, and the whole matrix is asked again. A served answer is also checked for what
it contains: a grantee sees exactly the 3 granted data items and the rows of the granted district, nothing
else; an open dataset shows everything. The dataset page offers (links to) a download and the data API exactly
when that path serves the reader: the page's offer is the access decision itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kaifang.access import services
from kaifang.access.models import Grant
from kaifang.app import create_app
from kaifang.catalog import change_open_class
from kaifang.security import SYSTEM
from tests.access.factories import (
    GRANTED,
    ROWS,
    accepted,
    application_input,
    approval,
    approved,
    conditional_register,
    in_force,
    people,
    sha_of,
    submitted,
    today,
)
from tests.personas import login

PATHS = ("preview", "api", "download")
PERSONAS = ("anonymous", "applicant", "other_user", "other_agency_staff")
NAMES = [r[1] for r in ROWS]
GRANTED_NAMES = {r[1] for r in ROWS if r[4] == "昆山市"}
# Values of data items never granted (uscc, legal person, phone): they must never leave a conditional dataset.
SECRETS = [v for r in ROWS for v in (r[0], r[2], r[3])]


@dataclass
class Served:
    served: bool
    names: set[str]  # company names seen (rows)
    leaked: list[str]  # values of data items never granted
    fields: set[str] | None = None  # for the API and downloads: the columns sent
    offered: tuple[bool, bool] | None = None  # for the page: (a download link, a data API link) shown


def _ask(client: TestClient, path: str, entry_id: int) -> Served:
    if path == "preview":
        html = client.get(f"/datasets/{entry_id}").text
        names = {n for n in NAMES if n in html}
        offered = (f'href="/datasets/{entry_id}/download/csv"' in html,
                   f'/api/v1/datasets/{entry_id}/records?_limit=10"' in html)
        return Served(bool(names), names, [s for s in SECRETS if s in html], offered=offered)
    if path == "api":
        r = client.get(f"/api/v1/datasets/{entry_id}/records", params={"_limit": "100"})
        if r.status_code != 200:
            assert r.status_code in (401, 403, 404), r.text
            return Served(False, set(), [s for s in SECRETS if s in r.text])
        records = r.json()["records"]
        return Served(True, {rec.get("name") for rec in records}, [s for s in SECRETS if s in r.text],
                      set(r.json()["fields"]))
    r = client.get(f"/datasets/{entry_id}/download/csv")
    if r.status_code != 200:
        assert r.status_code in (401, 403, 404), r.text
        return Served(False, set(), [s for s in SECRETS if s in r.text])
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    return Served(True, {row.get("name") for row in rows}, [s for s in SECRETS if s in r.text],
                  set(rows[0]) if rows else set())


def _expected(open_class: str, state: str, path: str, persona: str) -> bool:
    if open_class == "unconditional":
        return True
    if open_class == "not_open":
        return False
    if persona != "applicant":
        return False
    return state == "active" or (state == "api_only" and path in ("api", "preview"))


def _check(cell: tuple, got: Served, open_class: str, allowed: bool, offer: tuple[bool, bool]) -> list[str]:
    problems = []
    if got.served != allowed:
        problems.append(f"{cell}: served={got.served}, expected {allowed}")
    if got.offered is not None and got.offered != offer:
        problems.append(f"{cell}: the page offers (download, API) {got.offered}, the decision serves {offer}")
    if open_class != "unconditional" and got.leaked:
        problems.append(f"{cell}: leaked values of data items never granted: {got.leaked[:3]}")
    if got.served and open_class == "conditional":
        if got.names != GRANTED_NAMES:
            problems.append(f"{cell}: rows {sorted(got.names)} instead of the granted {sorted(GRANTED_NAMES)}")
        if got.fields is not None and got.fields != set(GRANTED):
            problems.append(f"{cell}: fields {sorted(got.fields)} instead of {GRANTED}")
    if got.served and open_class == "unconditional" and got.names != set(NAMES):
        problems.append(f"{cell}: an open dataset served only {sorted(got.names)}")
    return problems


@pytest.fixture
def matrix_app(settings, sessions):
    quiet = settings.model_copy(update={"rate_limit_anonymous": 100_000, "rate_limit_identified": 100_000})
    return create_app(quiet, sessions=sessions, queue=sessions.kw["info"]["queue"], start_worker=False)


def test_no_path_serves_data_it_should_not_A20_4_A22_1(session, settings, world, tmp_path, matrix_app, clock):
    who = people(session, world)
    entries: dict[str, int] = {}

    def register(state: str, org: str = "agency") -> int:
        entries[state] = conditional_register(session, settings, world, tmp_path, org=org,
                                              name=f"企业登记（{state}）").id
        return entries[state]

    register("no_application")
    submitted(session, who, register("submitted"))
    accepted(session, who, register("accepted"))
    approved(session, who, register("approved_unsigned"))
    in_force(session, who, register("active"))
    in_force(session, who, register("api_only"), deliveries=["api"])
    revoked = in_force(session, who, register("revoked"))
    services.revoke_application(session, who.cdo, revoked.id, "超出批准用途")
    refused = accepted(session, who, register("refused"))
    services.refuse_application(session, who.staff, refused.id, "不符合开放条件", "《苏州市公共数据开放管理办法》")
    later = today() + dt.timedelta(days=10)
    app = services.save_application(session, who.applicant, None, application_input(
        register("not_started"), period_start=later, period_end=later + dt.timedelta(days=30)))
    services.submit_application(session, who.applicant, app.id)
    services.accept_application(session, who.city_bureau, app.id)
    services.approve_application(session, who.staff, app.id, approval(
        entries["not_started"], period_start=later, period_end=later + dt.timedelta(days=30)))
    services.sign_agreement(session, who.applicant, app.id, "applicant", sha_of(session, app.id))
    services.sign_agreement(session, who.cdo, app.id, "provider", sha_of(session, app.id))
    # Suspended by a sanction of the other agency on its own data (the other grants stay active).
    in_force(session, who, register("suspended", org="other_agency"), reviewer=who.other_staff)
    services.impose_sanction(session, who.city_bureau, who.applicant.user_id, "restrict", "违规",
                             org_id=world.orgs["other_agency"])
    states = {g.entry_id: g.state for g in session.execute(select(Grant)).scalars()}
    assert states[entries["suspended"]] == "suspended" and states[entries["active"]] == "active"

    clients = {p: TestClient(matrix_app, base_url="http://testserver", follow_redirects=False) for p in PERSONAS}
    login(clients["applicant"], world.emails["company"])
    login(clients["other_user"], world.emails["citizen"])
    problems: list[str] = []
    cells = 0

    def ask_all(open_class: str, only: set[str] | None = None, expect=_expected) -> None:
        nonlocal cells
        for state, entry_id in entries.items():
            if only is not None and state not in only:
                continue
            staff = "provider_staff" if state == "suspended" else "other_provider_staff"
            clients["other_agency_staff"].cookies.clear()
            login(clients["other_agency_staff"], world.emails[staff])
            for path in PATHS:
                for persona in PERSONAS:
                    cell = (open_class, state, path, persona)
                    got = _ask(clients[persona], path, entry_id)
                    offer = (expect(open_class, state, "download", persona), expect(open_class, state, "api", persona))
                    problems.extend(_check(cell, got, open_class, expect(open_class, state, path, persona), offer))
                    cells += 1

    ask_all("conditional")
    # The period over: the same grants serve nothing (no job needs to run first).
    ends = session.execute(select(Grant.ends_at).where(Grant.entry_id == entries["active"])).scalar_one()
    started = clock.now()
    clock.set(ends + dt.timedelta(seconds=1))
    ask_all("conditional", only={"active", "api_only"}, expect=lambda *a: False)
    clock.set(started)
    for to_class, conditions in (("unconditional", ""), ("not_open", "")):
        for entry_id in entries.values():
            change_open_class(session, SYSTEM, entry_id, to_class, "开放属性年度评估调整", conditions)
        ask_all(to_class)
    for c in clients.values():
        c.close()
    assert cells == 10 * 3 * 4 * 3 + 2 * 3 * 4
    assert problems == [], "\n".join(problems[:40])
