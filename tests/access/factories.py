"""Conditional-access fixtures: a published, conditionally open enterprise register of 8 data items with real
data (ingested through the real pipeline), and applications driven into each state through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from kaifang.access import services
from kaifang.access.models import AccessApplication
from kaifang.access.schemas import ApplicationInput, ApprovalInput, ApprovedItem, ItemInput
from kaifang.catalog import DataItemInput
from kaifang.config import Settings
from kaifang.datastore import services as data_services
from kaifang.security import Principal
from kaifang.workdays import SHANGHAI
from tests.catalog.factories import entry_input, publish_as_system
from tests.personas import World

ITEMS = [
    DataItemInput(name="uscc", title="统一社会信用代码", type="string", description="企业的统一社会信用代码",
                  required=True),
    DataItemInput(name="name", title="企业名称", type="string", description="企业名称"),
    DataItemInput(name="legal_person", title="法定代表人", type="string", description="法定代表人姓名",
                  sensitivity="sensitive"),
    DataItemInput(name="phone", title="联系电话", type="string", description="企业联系电话", sensitivity="sensitive"),
    DataItemInput(name="district", title="所属区县", type="string", description="所属区县"),
    DataItemInput(name="capital", title="注册资本", type="decimal", unit="万元", description="注册资本"),
    DataItemInput(name="employees", title="从业人数", type="integer", description="从业人数"),
    DataItemInput(name="established", title="成立日期", type="date", description="成立日期"),
]
FIELDS = [i.name for i in ITEMS]
ROWS = [
    ("91320500MA1N000001", "苏州甲科技有限公司", "王一", "13900000001", "昆山市", "100", "12", "2015-01-02"),
    ("91320500MA1N000002", "苏州乙贸易有限公司", "李二", "13900000002", "姑苏区", "50", "5", "2016-03-04"),
    ("91320500MA1N000003", "昆山丙制造有限公司", "张三", "13900000003", "昆山市", "800", "120", "2010-05-06"),
    ("91320500MA1N000004", "吴江丁丝绸有限公司", "刘四", "13900000004", "吴江区", "300", "40", "2012-07-08"),
    ("91320500MA1N000005", "昆山戊电子有限公司", "陈五", "13900000005", "昆山市", "20", "3", "2020-09-10"),
]
GRANTED = ["name", "district", "employees"]  # 3 of 8
ROW_FILTER = "district=昆山市"  # 3 of 5 rows


def csv_text() -> str:
    return ",".join(FIELDS) + "\n" + "".join(",".join(r) + "\n" for r in ROWS)


def conditional_register(session: Session, settings: Settings, world: World, tmp_path: Path,
                         org: str = "agency", open_class: str = "conditional", name: str = "苏州市企业登记信息"):
    """A published entry of ``org`` with 8 data items and 5 rows of data."""
    extra = {"open_conditions": "仅向经审核同意的利用主体提供。"} if open_class == "conditional" else {}
    entry = publish_as_system(session, world.orgs[org], entry_input(
        name=name, summary="企业登记的基本信息。", domain="market", tags=["企业"], open_class=open_class,
        items=list(ITEMS), **extra))
    src = tmp_path / f"register-{entry.id}.csv"
    src.write_text(csv_text(), encoding="utf-8")
    path, size = data_services.place_as_upload(src, settings)
    from kaifang.security import SYSTEM

    data_services.start_ingest(session, SYSTEM, entry.id, path, src.name, size)
    return entry


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def application_input(entry_id: int, **overrides: object) -> ApplicationInput:
    values: dict[str, object] = dict(
        title="企业画像研究数据申请", reason="开展昆山市中小企业发展研究。", kind="dataset",
        deliveries=["download", "api"], period_start=today(), period_end=today() + dt.timedelta(days=180),
        results_form="研究报告一份", scenario="为区域产业政策提供数据支撑。", commitment=True,
        items=[ItemInput(entry_id, list(FIELDS))],
    )
    values.update(overrides)
    return ApplicationInput(**values)  # type: ignore[arg-type]


def approval(entry_id: int, **overrides: object) -> ApprovalInput:
    values: dict[str, object] = dict(
        purpose="昆山市中小企业发展研究", deliveries=["download", "api"], period_start=today(),
        period_end=today() + dt.timedelta(days=90), items=[ApprovedItem(entry_id, list(GRANTED), ROW_FILTER)],
    )
    values.update(overrides)
    return ApprovalInput(**values)  # type: ignore[arg-type]


@dataclass
class People:
    applicant: Principal
    other_user: Principal
    staff: Principal
    cdo: Principal
    other_staff: Principal
    city_bureau: Principal
    district_bureau: Principal
    operator: Principal
    supervisor: Principal


def people(session: Session, world: World) -> People:
    p = world.principal
    return People(p(session, "company"), p(session, "citizen"), p(session, "provider_staff"),
                  p(session, "provider_cdo"), p(session, "other_provider_staff"), p(session, "city_bureau"),
                  p(session, "district_bureau"), p(session, "operator"), p(session, "supervisor"))


def submitted(session: Session, who: People, entry_id: int) -> AccessApplication:
    app = services.save_application(session, who.applicant, None, application_input(entry_id))
    return services.submit_application(session, who.applicant, app.id)


def accepted(session: Session, who: People, entry_id: int) -> AccessApplication:
    app = submitted(session, who, entry_id)
    return services.accept_application(session, who.city_bureau, app.id, "材料齐全")


def approved(session: Session, who: People, entry_id: int, reviewer: Principal | None = None,
             **overrides: object) -> AccessApplication:
    app = accepted(session, who, entry_id)
    services.approve_application(session, reviewer or who.staff, app.id, approval(entry_id, **overrides))
    return app


def in_force(session: Session, who: People, entry_id: int, reviewer: Principal | None = None,
             **overrides: object) -> AccessApplication:
    """Approved by ``reviewer`` (the agency's staff by default), signed by the applicant and by the reviewer's side."""
    app = approved(session, who, entry_id, reviewer, **overrides)
    view_sha = sha_of(session, app.id)
    services.sign_agreement(session, who.applicant, app.id, "applicant", view_sha)
    services.sign_agreement(session, reviewer or who.cdo, app.id, "provider", view_sha)
    session.refresh(app)
    return app


def sha_of(session: Session, app_id: int) -> str:
    from sqlalchemy import select

    from kaifang.access.models import UseAgreement

    return session.execute(select(UseAgreement.sha256).where(UseAgreement.application_id == app_id)).scalar_one()


def people_by_email(session: Session, email: str) -> Principal:
    """The principal of the account registered with ``email`` (a freshly made one: its sessions are epoch 0)."""
    from kaifang.accounts import load_principal, user_id_for_email
    from kaifang.security import ANONYMOUS

    user_id = user_id_for_email(session, email)
    assert user_id is not None, email
    principal = load_principal(session, ANONYMOUS, user_id, 0)
    assert principal is not None
    return principal
