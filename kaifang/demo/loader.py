"""Load the demo organisations and accounts through the real services (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kaifang.accounts import organisations, services
from kaifang.accounts.models import Organisation, Region, User
from kaifang.accounts.schemas import OrganisationInput, Registration
from kaifang.config import Settings
from kaifang.demo.corpus import PROVIDERS as CORPUS_PROVIDERS
from kaifang.security import ANONYMOUS, SYSTEM, BusinessRuleError

DEMO_PASSWORD = "Kaifang-demo-2026"

CITY = "320500"
# Providers across the priority domains of A17.1 (name, region, domain): those of the demo catalog, and one
# more in the Industrial Park.
PROVIDERS = [*CORPUS_PROVIDERS.values(), ("苏州工业园区经济发展委员会", "320571", "science")]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str  # a label for the printout
    org: str | None


def _org(session: Session, name: str, kind: str, region: str, domain: str | None = None) -> int:
    existing = session.execute(select(Organisation.id).where(Organisation.name == name)).scalar_one_or_none()
    if existing is not None:
        return existing
    return organisations.create_organisation(session, SYSTEM, OrganisationInput(
        name=name, kind=kind, region_code=region, domain=domain)).id  # type: ignore[arg-type]


def _user(session: Session, email: str, name: str, kind: str = "natural", **extra: str) -> None:
    if session.execute(select(User.id).where(User.email == email)).first():
        return
    services.register_user(session, ANONYMOUS, Registration(
        kind=kind, email=email, display_name=name, password=DEMO_PASSWORD,  # type: ignore[arg-type]
        password_confirm=DEMO_PASSWORD, accept_rules=True, **extra))


def _member(session: Session, org_id: int, email: str, role: str) -> None:
    try:
        organisations.add_member(session, SYSTEM, org_id, email, role, "演示数据")
    except BusinessRuleError as exc:  # already a member: the loader is idempotent
        if "already holds" not in exc.message:
            raise


def load_demo(session: Session, settings: Settings) -> list[DemoAccount]:
    if settings.env == "production":
        raise RuntimeError("demo data is never loaded in production (KAIFANG_ENV=production)")
    accounts: list[DemoAccount] = []

    def account(email: str, name: str, label: str, org_id: int | None, org_label: str | None, role: str | None,
                **extra: str) -> None:
        _user(session, email, name, **extra)
        if org_id is not None and role:
            _member(session, org_id, email, role)
        accounts.append(DemoAccount(email, name, label, org_label))

    city_bureau = _org(session, "苏州市大数据管理局", "bureau", CITY)
    operator = _org(session, "苏州市信息中心", "operator", CITY)
    experts = _org(session, "苏州市公共数据开放专家委员会", "expert_committee", CITY)
    cac = _org(session, "中共苏州市委网络安全和信息化委员会办公室", "supervisor", CITY)
    regions = session.execute(select(Region).where(Region.level == "county").order_by(Region.sort_order)).scalars()
    district_bureaus = {r.code: _org(session, f"{r.name}大数据管理局", "bureau", r.code) for r in regions}
    providers = {name: _org(session, name, "provider", region, domain) for name, region, domain in PROVIDERS}

    account("operator@demo.kaifang.cn", "陈运维", "operator", operator, "苏州市信息中心", "operator")
    account("bureau@demo.kaifang.cn", "王主管", "city bureau", city_bureau, "苏州市大数据管理局", "city_bureau")
    account("kunshan.bureau@demo.kaifang.cn", "李科长", "district bureau", district_bureaus["320583"],
            "昆山市大数据管理局", "district_bureau")
    account("expert@demo.kaifang.cn", "周教授", "expert", experts, "苏州市公共数据开放专家委员会", "expert")
    account("supervisor@demo.kaifang.cn", "赵监督", "supervisor", cac, "中共苏州市委网信办", "supervisor")
    account("cdo.transport@demo.kaifang.cn", "孙首席", "chief data officer", providers["苏州市交通运输局"],
            "苏州市交通运输局", "provider_cdo")
    account("staff.transport@demo.kaifang.cn", "吴数据", "provider staff", providers["苏州市交通运输局"],
            "苏州市交通运输局", "provider_staff")
    account("cdo.market@demo.kaifang.cn", "郑首席", "chief data officer", providers["苏州市市场监督管理局"],
            "苏州市市场监督管理局", "provider_cdo")
    account("staff.kunshan@demo.kaifang.cn", "钱数据", "provider staff", providers["昆山市市场监督管理局"],
            "昆山市市场监督管理局", "provider_staff")
    account("citizen@demo.kaifang.cn", "张市民", "citizen", None, None, None)
    account("company@demo.kaifang.cn", "刘经理", "company user", None, "苏州示例数据科技有限公司", None,
            kind="legal", org_name="苏州示例数据科技有限公司", uscc="91320594MA1MXXXXXW")
    return accounts
