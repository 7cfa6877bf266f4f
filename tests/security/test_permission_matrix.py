"""Every console route answered for every persona: allowed, refused (403), hidden (404) or sent to sign in."""

from __future__ import annotations

import pytest

from kaifang.routes import api_routes
from tests.personas import PERSONAS, csrf_from, login

STAFF_READERS = {"provider_staff", "provider_cdo", "other_provider_staff", "district_bureau", "city_bureau",
                 "operator", "supervisor"}
CONSOLE_USERS = STAFF_READERS | {"expert"}
# Who reaches the city-level test agency ("agency", region 苏州市) as a reader.
AGENCY_READERS = {"provider_staff", "provider_cdo", "city_bureau", "operator", "supervisor"}

# (method, path template) -> personas allowed. Everyone else: anonymous is sent to sign in (GET) or
# refused; a signed-in persona without the permission gets 403, or 404 where the object is hidden from them.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("GET", "/console"): CONSOLE_USERS,
    ("GET", "/console/organisations"): STAFF_READERS,
    ("GET", "/console/organisations/new"): {"operator"},
    ("POST", "/console/organisations/new"): {"operator"},
    ("GET", "/console/organisations/{org_id}"): AGENCY_READERS,
    ("POST", "/console/organisations/{org_id}/members"): {"provider_cdo", "operator"},
    ("POST", "/console/organisations/{org_id}/members/{membership_id}/remove"): {"provider_cdo", "operator"},
    ("POST", "/console/organisations/{org_id}/active"): {"operator"},
    ("GET", "/console/audit"): {"operator", "supervisor"},
    ("POST", "/console/audit/verify"): {"operator"},
    ("GET", "/console/jobs"): {"operator"},
    ("GET", "/console/calendar"): {"operator"},
    ("POST", "/console/calendar/overrides"): {"operator"},
    ("POST", "/console/calendar/overrides/{day}/delete"): {"operator"},
    ("POST", "/console/calendar/years"): {"operator"},
    ("POST", "/console/calendar/import"): {"operator"},
}
# Hidden rather than refused: personas that hold the permission but not for this object.
HIDDEN = {
    ("GET", "/console/organisations/{org_id}"): {"other_provider_staff", "district_bureau"},
}


def console_routes() -> set[tuple[str, str]]:
    found = set()
    for route in api_routes():
        if route.path.startswith("/console"):
            for method in route.methods - {"HEAD"}:
                found.add((method, route.path))
    return found


def test_every_console_route_is_in_the_matrix():
    assert console_routes() == set(MATRIX), "add new console routes to MATRIX with who may use them"


def _form_for(path: str, world, session) -> tuple[str, dict[str, str]]:
    from sqlalchemy import select

    from kaifang.accounts.models import Membership

    agency = world.orgs["agency"]
    staff_membership = session.execute(select(Membership.id).where(
        Membership.org_id == agency, Membership.user_id == world.users["provider_staff"])).scalar_one()
    concrete = path.replace("{org_id}", str(agency)).replace("{membership_id}", str(staff_membership))
    concrete = concrete.replace("{day}", "2026-12-31")
    data = {
        "/console/organisations/new": {"name": "矩阵测试机构", "kind": "provider", "region_code": "320500"},
        f"/console/organisations/{agency}/members": {"email": world.emails["citizen"], "role": "provider_staff",
                                                     "reason": "matrix"},
        f"/console/organisations/{agency}/active": {"active": "yes"},
        "/console/calendar/overrides": {"date": "2026-12-31", "is_workday": "no", "note": "matrix"},
        "/console/calendar/overrides/2026-12-31/delete": {"reason": "matrix"},
        "/console/calendar/years": {"year": "2027", "note": "matrix"},
        "/console/calendar/import": {"text": "2027-01-01,holiday,元旦 (matrix)"},
    }.get(concrete, {"reason": "matrix"})
    return concrete, data


@pytest.mark.parametrize("persona", PERSONAS)
def test_console_permission_matrix(persona, client, world, session):
    if persona != "anonymous":
        login(client, world.emails[persona])
    for (method, path), allowed in sorted(MATRIX.items()):
        url, data = _form_for(path, world, session)
        if method == "GET":
            r = client.get(url)
        else:
            token = csrf_from(client, "/")
            r = client.post(url, data={**data, "csrf_token": token})
        where = f"{persona} {method} {path} -> {r.status_code}"
        if persona in allowed:
            assert r.status_code in (200, 303), where
            if r.status_code == 303:
                assert not r.headers["location"].startswith("/login"), where
        elif persona == "anonymous":
            if method == "GET":
                assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), where
            else:
                assert r.status_code == 403, where
        elif persona in HIDDEN.get((method, path), set()):
            assert r.status_code == 404, where
        else:
            assert r.status_code == 403, where
