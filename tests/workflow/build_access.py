"""Builders for the access workflows (kaifang/access/workflow.py): applications, out-of-catalog requests and
grants."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kaifang.access import services
from kaifang.access.models import AccessApplication, Grant
from kaifang.access.workflow import APPLICATION, DATA_REQUEST, GRANT
from kaifang.security import OrgRef
from tests.access import factories
from tests.personas import Persona
from tests.workflow.builders import PLATFORM, Builder, Move, Scene, place

APPLICANT, STAFF, CITY = Persona.COMPANY, Persona.PROVIDER_STAFF, Persona.CITY_BUREAU

# -- applications --------------------------------------------------------------------------------------------

# The states the access factories reach through the services; any other state is placed (from submitted).
_APPLICATION_PATHS = {
    "submitted": factories.submitted,
    "accepted": factories.accepted,
    "approved": factories.approved,
    "in_force": factories.in_force,
}


def _application(scene: Scene, state: str) -> Any:
    """An application of the company user for a conditionally open register of the city provider."""
    s = scene.session
    entry = factories.conditional_register(s, scene.settings, scene.world, scene.tmp_path)
    who = factories.people(s, scene.world)
    app = _APPLICATION_PATHS.get(state, factories.submitted)(s, who, entry.id)
    if state not in _APPLICATION_PATHS:
        place(s, APPLICATION, app, state)
    s.refresh(app)
    return app


def _application_org(_scene: Scene, app: Any, _transition: str) -> OrgRef:
    return OrgRef(app.provider_org_id, app.region_code)


def _reason(_scene: Scene, _obj: Any, name: str) -> Move:
    return Move(note="违反使用协议约定的用途") if name in ("revoke", "revoke_by_bureau", "decline") else Move()


# -- out-of-catalog requests ---------------------------------------------------------------------------------


def _request(scene: Scene, state: str) -> Any:
    """A request of the company user to the city bureau, routed to the city provider when its state needs it."""
    s = scene.session
    req = services.submit_request(s, scene.who(APPLICANT), "公共自行车站点实时数据", "站点位置、可借车辆数", "出行应用")
    if state in ("routed", "answered"):
        services.route_request(s, scene.who(CITY), req.id, scene.world.orgs["agency"], "请答复")
    if state == "answered":
        services.answer_request(s, scene.who(STAFF), req.id, "will_open", "将于下月开放")
    elif state not in ("submitted", "routed"):
        place(s, DATA_REQUEST, req, state)
    s.refresh(req)
    return req


def _request_org(_scene: Scene, req: Any, name: str) -> OrgRef:
    """The bureau of the request's region routes or declines it; the agency it was routed to answers it."""
    if name == "answer" and req.routed_org_id is not None:
        return OrgRef(req.routed_org_id, req.region_code)
    return OrgRef(0, req.region_code)


# -- grants --------------------------------------------------------------------------------------------------



def _grant(scene: Scene, state: str) -> Any:
    """The grant an application in force gave the company user (the agreement signed by both sides)."""
    app = _application(scene, "in_force")
    grant = scene.session.execute(select(Grant).where(Grant.application_id == app.id)).scalars().first()
    assert grant is not None, "an application in force has its grants"
    return place(scene.session, GRANT, grant, state)


def _grant_org(scene: Scene, grant: Any, _transition: str) -> OrgRef:
    app = scene.session.get(AccessApplication, grant.application_id)
    assert app is not None
    return OrgRef(grant.provider_org_id, app.region_code)


BUILDERS = {
    APPLICATION.name: Builder(
        build=_application, org=_application_org, ready=_reason,
        actors={
            "submit": APPLICANT, "resubmit": APPLICANT, "withdraw": APPLICANT, "sign_applicant": APPLICANT,
            "accept": CITY, "not_accept": CITY, "revoke_by_bureau": CITY,
            "approve": STAFF, "refuse": STAFF, "sign_provider": STAFF, "revoke": STAFF,
            "take_effect": PLATFORM, "expire": PLATFORM, "remind": PLATFORM, "escalate": PLATFORM,
        },
    ),
    DATA_REQUEST.name: Builder(
        build=_request, org=_request_org, ready=_reason,
        actors={"route": CITY, "decline": CITY, "answer": STAFF, "escalate": PLATFORM},
    ),
    GRANT.name: Builder(
        build=_grant, org=_grant_org, ready=_reason,
        actors={"suspend": CITY, "resume": CITY, "revoke": STAFF, "revoke_by_bureau": CITY, "expire": PLATFORM},
    ),
}
