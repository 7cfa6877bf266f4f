"""Demo conditional access (A20-A23): the demo company holds one agreement in force with the market regulator,
has a second application to it under review and one to the education bureau waiting for acceptance; the demo
citizen has asked for data outside the catalog. Everything goes through the real services, so the queues,
notifications, history and audit trail look as in real use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.access import services
from kaifang.access.models import AccessApplication, UseAgreement
from kaifang.access.schemas import ApplicationInput, ApprovalInput, ApprovedItem, ItemInput
from kaifang.accounts.models import User
from kaifang.accounts.queries import load_principal
from kaifang.catalog.models import CatalogEntry
from kaifang.security import ANONYMOUS, Principal
from kaifang.workdays import SHANGHAI

IN_FORCE = "苏州市特种设备使用登记信息"
WAITING = "苏州市学生体质健康监测汇总数据"


def _person(session: Session, email: str) -> Principal | None:
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    return load_principal(session, ANONYMOUS, user.id, user.session_epoch) if user else None


def _entry(session: Session, name: str) -> CatalogEntry | None:
    return session.execute(select(CatalogEntry).where(CatalogEntry.name == name)).scalar_one_or_none()


def _apply(session: Session, company: Principal, entry: CatalogEntry, title: str, fields: list[str]) -> int:
    today = dt.datetime.now(SHANGHAI).date()
    app = services.save_application(session, company, None, ApplicationInput(
        title=title, reason="开展苏州市产业安全与公共服务研究，需要相关登记数据作为基础。", kind="dataset",
        deliveries=["download", "api"], period_start=today, period_end=today + dt.timedelta(days=365),
        results_form="研究报告和数据分析应用各一份", scenario="为企业安全生产评估和区域产业分析提供数据支撑。",
        commitment=True, items=[ItemInput(entry.id, fields)]))
    services.submit_application(session, company, app.id)
    return app.id


def load_demo_access(session: Session) -> int:
    """Create the demo applications once (nothing when the demo company already has some). Returns how many."""
    company, bureau = _person(session, "company@demo.kaifang.cn"), _person(session, "bureau@demo.kaifang.cn")
    cdo, citizen = _person(session, "cdo.market@demo.kaifang.cn"), _person(session, "citizen@demo.kaifang.cn")
    entries = [_entry(session, n) for n in (IN_FORCE, WAITING)]
    if None in (company, bureau, cdo, citizen) or None in entries:
        return 0
    if session.execute(select(func.count()).select_from(AccessApplication).where(
            AccessApplication.applicant_user_id == company.user_id)).scalar_one():
        return 0
    equipment, fitness = entries
    today = dt.datetime.now(SHANGHAI).date()

    first = _apply(session, company, equipment, "特种设备使用单位分布研究",
                   ["name", "type", "industry", "district", "status", "staff"])
    services.accept_application(session, bureau, first, "材料齐全，予以受理")
    services.approve_application(session, cdo, first, ApprovalInput(
        purpose="特种设备使用单位的行业与区域分布研究", deliveries=["download", "api"], period_start=today,
        period_end=today + dt.timedelta(days=180),
        items=[ApprovedItem(equipment.id, ["name", "industry", "district", "staff"], "status=存续")]))
    sha = session.execute(select(UseAgreement.sha256).where(UseAgreement.application_id == first)).scalar_one()
    services.sign_agreement(session, company, first, "applicant", sha)
    services.sign_agreement(session, cdo, first, "provider", sha)

    # A second application to the same provider, for more data items: waiting for the market regulator's review.
    second = _apply(session, company, equipment, "特种设备使用单位住所核验", ["name", "address", "status"])
    services.accept_application(session, bureau, second, "材料齐全，予以受理")
    _apply(session, company, fitness, "学生体质健康趋势分析", ["name", "district"])
    services.submit_request(session, citizen, "公共自行车站点实时数据",
                            "全市公共自行车站点的位置、桩位数和可借车辆数，按分钟更新。", "开发便民出行小程序")
    return 3
