"""Catalog factories: principals per role, complete entry inputs, and entries driven into each state of
the publishing process through the real services (never by inserting rows)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from kaifang.accounts import organisations
from kaifang.accounts.schemas import OrganisationInput
from kaifang.catalog import (
    DataItemInput,
    EntryInput,
    create_entry,
    publish_entry,
    record_review,
    submit_entry,
)
from kaifang.catalog.models import CatalogEntry
from kaifang.security import SYSTEM, Principal, Role, RoleGrant

CITY = "320500"
KUNSHAN = "320583"


def person(user_id: int, label: str, role: Role, org_id: int | None = None, region: str | None = None) -> Principal:
    return Principal(user_id=user_id, label=label, grants=frozenset({RoleGrant(Role.USER),
                                                                     RoleGrant(role, org_id, region)}))


@dataclass(frozen=True)
class Cast:
    """The organisations and people of a catalog test."""

    agency: int  # a city provider (苏州市交通运输局)
    other_agency: int  # a Kunshan provider (昆山市市场监督管理局)
    staff: Principal
    staff2: Principal  # a second data staff member of the agency
    cdo: Principal
    other_staff: Principal
    other_cdo: Principal
    city_bureau: Principal
    kunshan_bureau: Principal
    expert: Principal
    citizen: Principal
    supervisor: Principal


def make_org(session: Session, name: str, region: str = CITY, kind: str = "provider", domain: str | None = None) -> int:
    return organisations.create_organisation(session, SYSTEM, OrganisationInput(
        name=name, kind=kind, region_code=region, domain=domain)).id  # type: ignore[arg-type]


def make_cast(session: Session) -> Cast:
    agency = make_org(session, "苏州市交通运输局(目录测试)", CITY, domain="transport")
    other = make_org(session, "昆山市市场监督管理局(目录测试)", KUNSHAN, domain="market")
    city_bureau = make_org(session, "苏州市大数据管理局(目录测试)", CITY, kind="bureau")
    kunshan_bureau = make_org(session, "昆山市大数据管理局(目录测试)", KUNSHAN, kind="bureau")
    return Cast(
        agency=agency, other_agency=other,
        staff=person(9001, "staff@agency.cn", Role.PROVIDER_STAFF, agency, CITY),
        staff2=person(9002, "staff2@agency.cn", Role.PROVIDER_STAFF, agency, CITY),
        cdo=person(9003, "cdo@agency.cn", Role.PROVIDER_CDO, agency, CITY),
        other_staff=person(9004, "staff@other.cn", Role.PROVIDER_STAFF, other, KUNSHAN),
        other_cdo=person(9005, "cdo@other.cn", Role.PROVIDER_CDO, other, KUNSHAN),
        city_bureau=person(9006, "bureau@city.cn", Role.CITY_BUREAU, city_bureau, CITY),
        kunshan_bureau=person(9007, "bureau@kunshan.cn", Role.DISTRICT_BUREAU, kunshan_bureau, KUNSHAN),
        expert=person(9008, "expert@committee.cn", Role.EXPERT),
        citizen=Principal(user_id=9009, label="citizen@example.cn", grants=frozenset({RoleGrant(Role.USER)})),
        supervisor=person(9010, "supervisor@cac.cn", Role.SUPERVISOR),
    )


BUS_ITEMS = [
    DataItemInput(name="line_no", title="线路编号", type="string", description="公交线路的编号", required=True),
    DataItemInput(name="line_name", title="线路名称", type="string", description="公交线路的名称"),
    DataItemInput(name="first_bus", title="首班时间", type="string", description="首班车发车时间"),
    DataItemInput(name="fare", title="票价", type="decimal", unit="元", description="单程票价"),
]


def entry_input(**overrides: object) -> EntryInput:
    """A complete, valid entry (A14.2): 苏州市公交线路信息."""
    values: dict[str, object] = dict(
        name="苏州市公交线路信息", summary="全市公交线路的线路编号、首末班时间和票价。", domain="transport",
        tags=["公交", "出行"], open_class="unconditional", data_type="table", formats=["csv", "json"],
        update_frequency="daily", contact_name="吴数据", contact_phone="0512-12345678",
        contact_email="data@jtj.suzhou.gov.cn", items=list(BUS_ITEMS),
    )
    values.update(overrides)
    return EntryInput(**values)  # type: ignore[arg-type]


def draft(session: Session, who: Principal, org_id: int, **overrides: object) -> CatalogEntry:
    return create_entry(session, who, org_id, entry_input(**overrides))


def submitted(session: Session, cast: Cast, **overrides: object) -> CatalogEntry:
    entry = draft(session, cast.staff, cast.agency, **overrides)
    return submit_entry(session, cast.staff, entry.id)


def under_review(session: Session, cast: Cast, **overrides: object) -> CatalogEntry:
    entry = submitted(session, cast, **overrides)
    record_review(session, cast.cdo, entry.id, "privacy", "approve", "未发现个人隐私和商业秘密")
    return entry


def reviewed(session: Session, cast: Cast, **overrides: object) -> CatalogEntry:
    entry = under_review(session, cast, **overrides)
    record_review(session, cast.cdo, entry.id, "legality", "approve", "符合法律法规")
    if entry.needs_expert_review:
        record_review(session, cast.expert, entry.id, "expert", "approve", "无关联分析风险")
    return entry


def published(session: Session, cast: Cast, **overrides: object) -> CatalogEntry:
    entry = reviewed(session, cast, **overrides)
    return publish_entry(session, cast.cdo, entry.id)


def publish_as_system(session: Session, org_id: int, data: EntryInput) -> CatalogEntry:
    """Create and publish an entry in one go (search fixtures): every required review approved."""
    entry = create_entry(session, SYSTEM, org_id, data)
    submit_entry(session, SYSTEM, entry.id)
    record_review(session, SYSTEM, entry.id, "privacy", "approve", "")
    record_review(session, SYSTEM, entry.id, "legality", "approve", "")
    if entry.needs_expert_review:
        record_review(session, SYSTEM, entry.id, "expert", "approve", "")
    return publish_entry(session, SYSTEM, entry.id)
