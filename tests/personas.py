"""The one vocabulary of people in the tests (STYLE.md: Tests), built through the real services: the ``world``
fixture registers a user per persona and gives them their role in their organisation (pytest plugin loaded by
conftest). Use ``Persona`` members (or their string values) everywhere a test names who acts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kaifang.accounts import organisations, services
from kaifang.accounts.queries import load_principal
from kaifang.accounts.schemas import OrganisationInput, Registration
from kaifang.security import ANONYMOUS, SYSTEM, Principal

PASSWORD = "Persona-pass-2026"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')



class Persona(StrEnum):
    ANONYMOUS = "anonymous"  # nobody signed in
    CITIZEN = "citizen"  # a natural person using data
    COMPANY = "company"  # a company user (legal person; applies for conditional data)
    PROVIDER_STAFF = "provider_staff"  # data staff of a city provider (苏州市交通运输局)
    PROVIDER_CDO = "provider_cdo"  # that provider's chief data officer
    OTHER_PROVIDER_STAFF = "other_provider_staff"  # data staff of a Kunshan provider
    DISTRICT_BUREAU = "district_bureau"  # the Kunshan big-data bureau
    CITY_BUREAU = "city_bureau"  # the Suzhou big-data bureau
    OPERATOR = "operator"  # the platform operator
    EXPERT = "expert"  # a member of the expert committee
    SUPERVISOR = "supervisor"  # the supervising authority (网信办)


# persona -> (organisation key, role); None for plain data users
PERSONA_ROLES: dict[str, tuple[str, str] | None] = {
    Persona.CITIZEN: None,
    Persona.COMPANY: None,
    Persona.PROVIDER_STAFF: ("agency", "provider_staff"),
    Persona.PROVIDER_CDO: ("agency", "provider_cdo"),
    Persona.OTHER_PROVIDER_STAFF: ("other_agency", "provider_staff"),
    Persona.DISTRICT_BUREAU: ("district_bureau", "district_bureau"),
    Persona.CITY_BUREAU: ("city_bureau", "city_bureau"),
    Persona.OPERATOR: ("operator", "operator"),
    Persona.EXPERT: ("experts", "expert"),
    Persona.SUPERVISOR: ("supervisors", "supervisor"),
}
PERSONAS: list[Persona] = list(Persona)

ORGS = {
    "city_bureau": ("苏州市大数据管理局(测试)", "bureau", "320500"),
    "district_bureau": ("昆山市大数据管理局(测试)", "bureau", "320583"),
    "agency": ("苏州市交通运输局(测试)", "provider", "320500"),
    "other_agency": ("昆山市市场监督管理局(测试)", "provider", "320583"),
    "operator": ("苏州市信息中心(测试)", "operator", "320500"),
    "experts": ("苏州市公共数据开放专家委员会(测试)", "expert_committee", "320500"),
    "supervisors": ("苏州市网信办(测试)", "supervisor", "320500"),
}


@dataclass
class World:
    orgs: dict[str, int]
    users: dict[str, int]
    emails: dict[str, str]

    def principal(self, session: Session, persona: str) -> Principal:
        if persona == Persona.ANONYMOUS:
            return ANONYMOUS
        p = load_principal(session, ANONYMOUS, self.users[persona], 0)
        assert p is not None
        return p

    def everyone(self, session: Session) -> dict[Persona, Principal]:
        """Every persona's principal, anonymous included."""
        return {persona: self.principal(session, persona) for persona in PERSONAS}


def register(session: Session, email: str, name: str, kind: str = "natural", **extra: str) -> int:
    data = Registration(kind=kind, email=email, display_name=name, password=PASSWORD,  # type: ignore[arg-type]
                        password_confirm=PASSWORD, accept_rules=True, **extra)
    return services.register_user(session, ANONYMOUS, data).id


@pytest.fixture
def world(session: Session) -> World:
    orgs = {
        key: organisations.create_organisation(session, SYSTEM, OrganisationInput(
            name=name, kind=kind, region_code=region)).id  # type: ignore[arg-type]
        for key, (name, kind, region) in ORGS.items()
    }
    users: dict[str, int] = {}
    emails: dict[str, str] = {}
    for persona, role in PERSONA_ROLES.items():
        email = f"{persona}@example.cn"
        company = persona == Persona.COMPANY
        extra = {"org_name": "苏州测试科技有限公司", "uscc": "91110000600037341L"} if company else {}
        users[persona] = register(session, email, str(persona), "legal" if company else "natural", **extra)
        emails[persona] = email
        if role:
            organisations.add_member(session, SYSTEM, orgs[role[0]], email, role[1], "test set-up")
    return World(orgs, users, emails)


def csrf_from(client: TestClient, path: str) -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.text)
    assert match, f"no csrf token on {path} ({response.status_code})"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_from(client, "/login")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text[:500]


def post_form(client: TestClient, path: str, data: dict[str, str], token_from: str | None = None):
    token = csrf_from(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token})
