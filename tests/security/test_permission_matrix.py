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

# The catalog: who reads entries (all states) at all, who reads the city agency's, who manages its drafts
# (its staff, its chief data officer, the operator), and who reviews, publishes and changes its open class.
CATALOG_READERS = {"provider_staff", "provider_cdo", "other_provider_staff", "district_bureau", "city_bureau",
                   "operator"}
AGENCY_CATALOG_READERS = {"provider_staff", "provider_cdo", "city_bureau", "operator"}
CATALOG_MANAGERS = {"provider_staff", "provider_cdo", "operator"}
CATALOG_DECIDERS = {"provider_cdo", "city_bureau", "operator"}
# Conditional access to the city agency's data: who accepts (the bureau reaching the city, A20.2), who reviews and
# signs for the agency (its people, A20.3, A21.1), who sanctions a user for its data (A34.1).
ACCESS_ACCEPTERS = {"city_bureau", "operator"}
ACCESS_REVIEWERS = {"provider_staff", "provider_cdo", "operator"}
AGENCY_SANCTIONERS = {"provider_cdo", "city_bureau", "operator"}
# Personas that hold a catalog permission but do not see the agency's unpublished entry (or, for experts, an
# entry not waiting for their review): it answers them like a missing one.
NOT_SEEING_THE_DRAFT = {"other_provider_staff", "district_bureau", "expert", "supervisor"}

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
    # The catalog console (A14, A15.1, A8) on an entry of the city agency in the state each action needs.
    ("GET", "/console/catalog"): CATALOG_READERS,
    ("GET", "/console/catalog/reviews"): {"expert", "operator"},
    ("GET", "/console/catalog/new"): CATALOG_MANAGERS | {"other_provider_staff"},
    ("POST", "/console/catalog/new"): CATALOG_MANAGERS,
    ("GET", "/console/catalog/{entry_id}"): AGENCY_CATALOG_READERS,
    ("GET", "/console/catalog/{entry_id}/edit"): CATALOG_MANAGERS,
    ("POST", "/console/catalog/{entry_id}/edit"): CATALOG_MANAGERS,
    ("POST", "/console/catalog/{entry_id}/submit"): CATALOG_MANAGERS,
    ("POST", "/console/catalog/{entry_id}/recall"): CATALOG_MANAGERS,
    ("POST", "/console/catalog/{entry_id}/review"): CATALOG_DECIDERS,
    ("POST", "/console/catalog/{entry_id}/publish"): CATALOG_DECIDERS,
    ("POST", "/console/catalog/{entry_id}/withdraw"): CATALOG_DECIDERS,
    ("POST", "/console/catalog/{entry_id}/republish"): CATALOG_DECIDERS,
    ("POST", "/console/catalog/{entry_id}/revise"): CATALOG_MANAGERS,
    ("POST", "/console/catalog/{entry_id}/open-class"): CATALOG_DECIDERS,
    ("GET", "/console/catalog/{entry_id}/data"): AGENCY_CATALOG_READERS,
    ("POST", "/console/catalog/{entry_id}/upload"): CATALOG_MANAGERS,
    ("POST", "/console/catalog/{entry_id}/lookups"): CATALOG_MANAGERS,
    # Conditional access (A20.2, A20.3, A21.1, A23.1, A34.1) on an application and a request to the city agency,
    # each in the state its action starts from, and a sanction on its data.
    ("GET", "/console/access"): STAFF_READERS,
    ("GET", "/console/access/{app_id}"): AGENCY_READERS,
    ("POST", "/console/access/{app_id}/accept"): ACCESS_ACCEPTERS,
    ("POST", "/console/access/{app_id}/not-accept"): ACCESS_ACCEPTERS,
    ("POST", "/console/access/{app_id}/approve"): ACCESS_REVIEWERS,
    ("POST", "/console/access/{app_id}/refuse"): ACCESS_REVIEWERS,
    ("POST", "/console/access/{app_id}/sign"): ACCESS_REVIEWERS,
    ("POST", "/console/access/{app_id}/revoke"): ACCESS_REVIEWERS | ACCESS_ACCEPTERS,
    ("GET", "/console/access/requests"): STAFF_READERS,
    ("GET", "/console/access/requests/{req_id}"): AGENCY_READERS,
    ("POST", "/console/access/requests/{req_id}/route"): ACCESS_ACCEPTERS,
    ("POST", "/console/access/requests/{req_id}/decline"): ACCESS_ACCEPTERS,
    ("POST", "/console/access/requests/{req_id}/answer"): ACCESS_REVIEWERS,
    ("GET", "/console/access/sanctions"): {"provider_cdo", "district_bureau", "city_bureau", "operator"},
    ("POST", "/console/access/sanctions"): AGENCY_SANCTIONERS,
    ("POST", "/console/access/sanctions/{sanction_id}/lift"): AGENCY_SANCTIONERS,
    ("GET", "/console/access/template"): {"operator"},
    ("POST", "/console/access/template"): {"operator"},
}
# Hidden rather than refused: personas that hold the permission but not for this object.
OUTSIDE_THE_CITY_AGENCY = {"other_provider_staff", "district_bureau"}
HIDDEN = {
    ("GET", "/console/organisations/{org_id}"): {"other_provider_staff", "district_bureau"},
    ("GET", "/console/catalog/{entry_id}"): NOT_SEEING_THE_DRAFT,
    ("GET", "/console/catalog/{entry_id}/edit"): {"other_provider_staff"},
    ("POST", "/console/catalog/{entry_id}/edit"): {"other_provider_staff"},
    ("POST", "/console/catalog/{entry_id}/submit"): {"other_provider_staff"},
    ("POST", "/console/catalog/{entry_id}/recall"): {"other_provider_staff"},
    ("POST", "/console/catalog/{entry_id}/review"): NOT_SEEING_THE_DRAFT,
    ("POST", "/console/catalog/{entry_id}/publish"): {"district_bureau"},
    ("POST", "/console/catalog/{entry_id}/republish"): {"district_bureau"},
    ("POST", "/console/catalog/{entry_id}/revise"): {"other_provider_staff"},
    ("GET", "/console/catalog/{entry_id}/data"): {"other_provider_staff", "district_bureau"},
    ("POST", "/console/catalog/{entry_id}/upload"): {"other_provider_staff"},
    ("POST", "/console/catalog/{entry_id}/lookups"): {"other_provider_staff"},
    ("GET", "/console/access/{app_id}"): OUTSIDE_THE_CITY_AGENCY,
    ("POST", "/console/access/{app_id}/accept"): {"district_bureau"},
    ("POST", "/console/access/{app_id}/not-accept"): {"district_bureau"},
    ("POST", "/console/access/{app_id}/approve"): {"other_provider_staff"},
    ("POST", "/console/access/{app_id}/refuse"): {"other_provider_staff"},
    ("POST", "/console/access/{app_id}/sign"): OUTSIDE_THE_CITY_AGENCY,
    ("POST", "/console/access/{app_id}/revoke"): OUTSIDE_THE_CITY_AGENCY,
    ("GET", "/console/access/requests/{req_id}"): OUTSIDE_THE_CITY_AGENCY,
    ("POST", "/console/access/requests/{req_id}/route"): {"district_bureau"},
    ("POST", "/console/access/requests/{req_id}/decline"): {"district_bureau"},
    ("POST", "/console/access/requests/{req_id}/answer"): {"other_provider_staff"},
    ("POST", "/console/access/sanctions/{sanction_id}/lift"): {"district_bureau"},
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


def _entry_for(path: str, agency: int, session) -> int:
    """A fresh entry of the agency in the state the route's action starts from."""
    from kaifang.catalog import publish_entry, record_review, submit_entry, withdraw_entry
    from kaifang.security import SYSTEM
    from tests.catalog.factories import draft

    entry = draft(session, SYSTEM, agency)
    action = path.rsplit("/", 1)[1]
    if action in ("recall", "review", "publish", "withdraw", "republish", "revise", "open-class"):
        submit_entry(session, SYSTEM, entry.id)
    if action in ("publish", "withdraw", "republish", "revise", "open-class"):
        record_review(session, SYSTEM, entry.id, "privacy", "approve", "matrix")
        record_review(session, SYSTEM, entry.id, "legality", "approve", "matrix")
    if action in ("withdraw", "republish", "revise", "open-class"):
        publish_entry(session, SYSTEM, entry.id)
    if action in ("republish", "revise"):
        withdraw_entry(session, SYSTEM, entry.id, "matrix")
    return entry.id


CATALOG_FORM = {"name": "矩阵测试目录", "open_class": "unconditional", "data_type": "table", "formats": "csv",
                "update_frequency": "daily", "items-0-name": "record_id", "items-0-title": "记录编号",
                "items-0-type": "string", "items-0-description": "记录的编号", "items-0-sensitivity": "public"}


def _form_for(path: str, world, session) -> tuple[str, dict[str, str]]:
    from sqlalchemy import select

    from kaifang.accounts.models import Membership

    agency = world.orgs["agency"]
    if "{entry_id}" in path:
        entry_id = _entry_for(path, agency, session)
        data = {"review": {"kind": "privacy", "conclusion": "approve", "opinion": "matrix"},
                "edit": CATALOG_FORM,
                "open-class": {"to_class": "conditional", "reason": "matrix", "conditions": "仅限矩阵测试"},
                "lookups": {"name": "matrix_lookup", "title": "矩阵测试查询", "key_fields": "line_no"},
                }.get(path.rsplit("/", 1)[1], {"reason": "matrix"})
        return path.replace("{entry_id}", str(entry_id)), data
    if path == "/console/catalog/new":
        return path, {**CATALOG_FORM, "org_id": str(agency)}
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


def _access_form_for(path: str, world, session, settings, tmp_path, made: dict) -> tuple[str, dict]:
    """A20-A23, A34.1: a fresh application, request or sanction of the city agency in the state the action starts
    from (the conditionally open dataset is made once per test), and a valid form for the action."""
    from sqlalchemy import select

    from kaifang.access import services
    from kaifang.access.agreement import DEFAULT_CLAUSES, DEFAULT_TITLE
    from kaifang.access.models import UseAgreement
    from kaifang.security import SYSTEM
    from tests.access import factories

    action = path.rsplit("/", 1)[1]
    if "{app_id}" in path:
        if "entry" not in made:
            made["entry"] = factories.conditional_register(session, settings, world, tmp_path).id
            made["who"] = factories.people(session, world)
        entry_id, who = made["entry"], made["who"]
        state = {"accept": factories.submitted, "not-accept": factories.submitted, "approve": factories.accepted,
                 "refuse": factories.accepted, "sign": factories.approved, "revoke": factories.in_force,
                 }.get(action, factories.submitted)
        app = state(session, who, entry_id)
        sha = session.execute(select(UseAgreement.sha256).where(UseAgreement.application_id == app.id)).scalar()
        data = {
            "accept": {"note": "matrix"},
            "not-accept": {"reasons": ["title_unclear", "other"], "note": "matrix"},
            "approve": {"purpose": "matrix", "deliveries": ["download"], "period_start": factories.today().isoformat(),
                        "period_end": factories.today().isoformat(), f"fields_{entry_id}": ["name"],
                        f"row_filter_{entry_id}": ""},
            "refuse": {"reasons": "matrix", "legal_basis": "matrix"},
            "sign": {"sha256": sha or ""},
        }.get(action, {"reason": "matrix"})
        return path.replace("{app_id}", str(app.id)), data
    if "{req_id}" in path:
        citizen = world.principal(session, "citizen")
        req = services.submit_request(session, citizen, "矩阵测试需求", "矩阵测试", "matrix", "320500")
        if action != "route" and action != "decline":
            services.route_request(session, SYSTEM, req.id, world.orgs["agency"])
        data = {"route": {"org_id": str(world.orgs["agency"]), "note": "matrix"},
                "answer": {"outcome": "exists", "answer": "matrix", "entry_id": ""}}.get(action, {"reason": "matrix"})
        return path.replace("{req_id}", str(req.id)), data
    if "{sanction_id}" in path:
        sanction = services.impose_sanction(session, SYSTEM, world.users["citizen"], "restrict", "matrix",
                                            org_id=world.orgs["agency"])
        return path.replace("{sanction_id}", str(sanction.id)), {"reason": "matrix"}
    if path == "/console/access/sanctions":
        return path, {"email": world.emails["citizen"], "kind": "restrict", "reason": "matrix",
                      "org_id": str(world.orgs["agency"])}
    if path == "/console/access/template":
        return path, {"title": DEFAULT_TITLE, **{f"clause_{k}": v for k, v in DEFAULT_CLAUSES.items()}}
    return path, {}


@pytest.mark.parametrize("persona", PERSONAS)
def test_console_permission_matrix(persona, client, world, session, settings, tmp_path):
    if persona != "anonymous":
        login(client, world.emails[persona])
    made: dict = {}
    for (method, path), allowed in sorted(MATRIX.items()):
        if path.startswith("/console/access"):
            url, data = _access_form_for(path, world, session, settings, tmp_path, made)
        else:
            url, data = _form_for(path, world, session)
        if method == "GET":
            r = client.get(url)
        else:
            token = csrf_from(client, "/")
            # An upload sends a (small, valid) file: the matrix is about who may, not about empty forms.
            files = {"file": ("matrix.csv", b"record_id\nR1\n", "text/csv")} if url.endswith("/upload") else None
            r = client.post(url, data={**data, "csrf_token": token}, files=files)
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
