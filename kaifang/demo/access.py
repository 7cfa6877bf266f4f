"""Demo conditional access (A20-A23): the demo company holds one agreement in force with the market regulator,
has a second application to it under review and one to the education bureau waiting for acceptance; the demo
citizen has asked for data outside the catalog. Everything goes through the real services (the exports of
``kaifang.access``), so the queues, notifications, history and audit trail look as in real use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from kaifang.access import (
    ApplicationInput,
    ApprovalInput,
    ApprovedItem,
    ItemInput,
    accept_application,
    approve_application,
    my_applications,
    save_application,
    sign_agreement,
    submit_application,
    submit_request,
)
from kaifang.accounts import load_principal, user_id_for_email
from kaifang.catalog import list_entries
from kaifang.clock import today
from kaifang.security import ANONYMOUS, SYSTEM, Principal

IN_FORCE = "苏州市特种设备使用登记信息"
WAITING = "苏州市学生体质健康监测汇总数据"


def _person(session: Session, email: str) -> Principal | None:
    user_id = user_id_for_email(session, email)
    return load_principal(session, ANONYMOUS, user_id, 0) if user_id is not None else None


def _entry_id(session: Session, name: str) -> int | None:
    found = list_entries(session, SYSTEM, q=name, per_page=10).items
    return next((card.id for card in found if card.name == name), None)


def _apply(session: Session, company: Principal, entry_id: int, title: str, fields: list[str]) -> int:
    start = today()
    app = save_application(session, company, None, ApplicationInput(
        title=title, reason="开展苏州市产业安全与公共服务研究，需要相关登记数据作为基础。", kind="dataset",
        deliveries=["download", "api"], period_start=start, period_end=start + dt.timedelta(days=365),
        results_form="研究报告和数据分析应用各一份", scenario="为企业安全生产评估和区域产业分析提供数据支撑。",
        commitment=True, items=[ItemInput(entry_id, fields)]))
    submit_application(session, company, app.id)
    return app.id


def load_demo_access(session: Session) -> int:
    """Create the demo applications once (nothing when the demo company already has some). Returns how many."""
    company, bureau = _person(session, "company@demo.kaifang.cn"), _person(session, "bureau@demo.kaifang.cn")
    cdo, citizen = _person(session, "cdo.market@demo.kaifang.cn"), _person(session, "citizen@demo.kaifang.cn")
    equipment, fitness = _entry_id(session, IN_FORCE), _entry_id(session, WAITING)
    if company is None or bureau is None or cdo is None or citizen is None or equipment is None or fitness is None:
        return 0
    if my_applications(session, company).total:  # loaded once
        return 0
    start = today()

    first = _apply(session, company, equipment, "特种设备使用单位分布研究",
                   ["name", "type", "industry", "district", "status", "staff"])
    accept_application(session, bureau, first, "材料齐全，予以受理")
    agreement = approve_application(session, cdo, first, ApprovalInput(
        purpose="特种设备使用单位的行业与区域分布研究", deliveries=["download", "api"], period_start=start,
        period_end=start + dt.timedelta(days=180),
        items=[ApprovedItem(equipment, ["name", "industry", "district", "staff"], "status=存续")]))
    sign_agreement(session, company, first, "applicant", agreement.sha256)
    sign_agreement(session, cdo, first, "provider", agreement.sha256)

    # A second application to the same provider, for more data items: waiting for the market regulator's review.
    second = _apply(session, company, equipment, "特种设备使用单位住所核验", ["name", "address", "status"])
    accept_application(session, bureau, second, "材料齐全，予以受理")
    _apply(session, company, fitness, "学生体质健康趋势分析", ["name", "district"])
    submit_request(session, citizen, "公共自行车站点实时数据",
                   "全市公共自行车站点的位置、桩位数和可借车辆数，按分钟更新。", "开发便民出行小程序")
    return 3
