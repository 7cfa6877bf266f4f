"""Demo catalog: the corpus entries published through the real services, each table entry with generated data
uploaded through the real ingest (one GBK-encoded CSV, one XLSX, the rest UTF-8 CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kaifang.accounts.models import Organisation
from kaifang.catalog import DataItemInput, EntryInput, create_entry, publish_entry, record_review, submit_entry
from kaifang.catalog.models import CatalogEntry
from kaifang.config import Settings
from kaifang.datastore import services as datastore
from kaifang.datastore.tasks import ingest_upload
from kaifang.demo.corpus import DOCS, PROVIDERS, Doc
from kaifang.demo.generate import INDUSTRIES, Gen, enterprises
from kaifang.security import SYSTEM
from kaifang.tasks import JobContext

I = DataItemInput  # noqa: E741 - short alias for the tables below

ENTERPRISE = [
    I(name="uscc", title="统一社会信用代码", format="uscc", required=True, description="企业的统一社会信用代码"),
    I(name="name", title="企业名称", required=True, description="登记的企业名称"),
    I(name="type", title="企业类型", description="企业的组织形式"),
    I(name="legal_rep", title="法定代表人", description="法定代表人姓名"),
    I(name="capital", title="注册资本", type="decimal", unit="万元", description="注册资本"),
    I(name="founded", title="成立日期", type="date", description="成立日期"),
    I(name="industry", title="所属行业", description="国民经济行业门类"),
    I(name="district", title="所属区域", description="登记机关所在县级市(区)"),
    I(name="address", title="住所", description="企业住所"),
    I(name="status", title="登记状态", description="存续、在业、注销或迁出"),
    I(name="staff", title="从业人数", type="integer", unit="人", description="从业人员数"),
]
LINES = [
    I(name="line_no", title="线路编号", required=True, description="线路编号"),
    I(name="line_name", title="线路名称", description="线路名称"),
    I(name="start_stop", title="起点站", description="起点站名称"),
    I(name="end_stop", title="终点站", description="终点站名称"),
    I(name="first_time", title="首班时间", description="首班发车时间"),
    I(name="last_time", title="末班时间", description="末班发车时间"),
    I(name="fare", title="票价", type="decimal", unit="元", description="单程票价"),
]
READINGS = [
    I(name="station", title="监测点", required=True, description="监测点名称"),
    I(name="district", title="所属区域", description="监测点所在县级市(区)"),
    I(name="observed_on", title="监测日期", type="date", description="监测日期"),
    I(name="value", title="监测值", type="decimal", description="日均监测值"),
    I(name="level", title="等级", description="评价等级"),
]
PLACES = [
    I(name="name", title="名称", required=True, description="机构或场所名称"),
    I(name="category", title="类别", description="机构或场所类别"),
    I(name="district", title="所属区域", description="所在县级市(区)"),
    I(name="address", title="地址", description="详细地址"),
    I(name="phone", title="联系电话", description="对外联系电话"),
    I(name="opened", title="设立日期", type="date", description="设立日期"),
]
INDICATORS = [
    I(name="year", title="年度", type="integer", required=True, description="统计年度"),
    I(name="district", title="所属区域", description="县级市(区)"),
    I(name="indicator", title="指标名称", description="统计指标"),
    I(name="value", title="指标值", type="decimal", description="指标数值"),
    I(name="unit", title="计量单位", description="指标的计量单位"),
]


STARTS = ["火车站", "观前街", "石路", "园区时代广场", "木渎", "独墅湖"]
ENDS = ["吴江汽车站", "相城大道", "苏州北站", "南门", "东方之门", "太湖大桥"]


def _lines(g: Gen, n: int) -> list[dict]:
    return [{"line_no": f"{i + 1}", "line_name": f"{i + 1}路", "start_stop": g.r.choice(STARTS),
             "end_stop": g.r.choice(ENDS), "first_time": f"0{g.r.randrange(5, 7)}:{g.r.choice(['00', '15', '30'])}",
             "last_time": f"2{g.r.randrange(0, 3)}:{g.r.choice(['00', '30'])}", "fare": g.r.choice([1, 2, 2.5, 3])}
            for i in range(n)]


def _readings(g: Gen, n: int) -> list[dict]:
    start = dt.date(2026, 1, 1)
    return [{"station": f"{d}{g.r.choice(['监测站', '子站'])}", "district": d,
             "observed_on": (start + dt.timedelta(days=i // 10)).isoformat(), "value": round(g.r.uniform(10, 160), 1),
             "level": g.r.choice(["优", "良", "轻度污染"])} for i, d in ((i, g.district()) for i in range(n))]


def _places(g: Gen, n: int, kinds: list[str]) -> list[dict]:
    rows = []
    for _ in range(n):
        d = g.district()
        kind = g.r.choice(kinds)
        rows.append({"name": f"苏州市{d}{g.r.choice('东南西北中新')}{g.r.choice(['华', '兴', '园', '湖', '城'])}{kind}",
                     "category": kind, "district": d, "address": g.address(d), "phone": g.phone(),
                     "opened": g.date(dt.date(1980, 1, 1), dt.date(2025, 12, 31)).isoformat()})
    return rows


def _indicators(g: Gen, n: int) -> list[dict]:
    names = [("地区生产总值", "亿元"), ("常住人口", "万人"), ("城镇新增就业", "人"), ("粮食产量", "吨"),
             ("高新技术企业数", "家"), ("参保人数", "万人"), ("安全生产事故数", "起")]
    return [{"year": 2016 + i % 10, "district": g.district(), "indicator": (ind := g.r.choice(names))[0],
             "value": round(g.r.uniform(1, 5000), 2), "unit": ind[1]} for i in range(n)]


# domain -> (items, row maker)
TABLES: dict[str, tuple[list[DataItemInput], Callable[[Gen, int], list[dict]]]] = {
    "market": (ENTERPRISE, lambda g, n: list(enterprises(n, seed=g.r.randrange(1 << 30)))),
    "credit": (ENTERPRISE, lambda g, n: list(enterprises(n, seed=g.r.randrange(1 << 30)))),
    "finance": (ENTERPRISE, lambda g, n: list(enterprises(n, seed=g.r.randrange(1 << 30)))),
    "transport": (LINES, _lines),
    "ecology": (READINGS, _readings),
    "meteorology": (READINGS, _readings),
    "education": (PLACES, lambda g, n: _places(g, n, ["小学", "初级中学", "高级中学", "幼儿园"])),
    "health": (PLACES, lambda g, n: _places(g, n, ["医院", "社区卫生服务中心", "诊所"])),
    "culture_tourism": (PLACES, lambda g, n: _places(g, n, ["景区", "博物馆", "图书馆", "文化馆"])),
}


def _write(rows: list[dict], items: list[DataItemInput], path: Path, encoding: str) -> None:
    if path.suffix == ".xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("data")
        ws.append([i.name for i in items])
        for row in rows:
            ws.append([row[i.name] for i in items])
        wb.save(path)
        return
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow([i.name for i in items])
        for row in rows:
            w.writerow([row[i.name] for i in items])


def _entry_input(doc: Doc, items: list[DataItemInput]) -> EntryInput:
    return EntryInput(
        name=doc.name, summary=doc.summary, domain=doc.domain, tags=list(doc.tags), open_class=doc.open_class,
        open_conditions=doc.conditions, data_type=doc.data_type, formats=list(doc.formats),
        update_frequency=doc.frequency, contact_name="数据管理科", contact_phone="0512-65220000",
        contact_email="opendata@suzhou.gov.cn", items=items, industry=INDUSTRIES[0] if doc.domain == "market" else "",
        usage_terms="使用本数据应注明数据来源，遵守《苏州市公共数据开放实施细则》。",
        scenarios="便民服务、产业分析、学术研究",
    )


def review_and_publish(session: Session, entry: CatalogEntry) -> None:
    """Take a new entry through the publishing workflow as the platform: submitted, approved by every review
    it needs (privacy, legality, and the expert one when required), published."""
    submit_entry(session, SYSTEM, entry.id)
    record_review(session, SYSTEM, entry.id, "privacy", "approve", "不涉及个人隐私和商业秘密")
    record_review(session, SYSTEM, entry.id, "legality", "approve", "符合法律法规")
    if entry.needs_expert_review:
        record_review(session, SYSTEM, entry.id, "expert", "approve", "无关联分析风险")
    publish_entry(session, SYSTEM, entry.id)


def load_demo_catalog(session: Session, sessions: sessionmaker[Session], settings: Settings) -> int:
    """Publish the demo entries (skipping those already there) and upload their data. Returns how many were new."""
    orgs = {name: oid for name, oid in session.execute(select(Organisation.name, Organisation.id)).all()}
    existing = set(session.execute(select(CatalogEntry.name)).scalars())
    g = Gen(2026)
    ctx = JobContext(sessions, settings)
    created = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n, doc in enumerate(DOCS):
            if doc.name in existing:
                continue
            provider = PROVIDERS[doc.provider][0]
            org_id = orgs.get(provider)
            if org_id is None:
                continue
            items, maker = TABLES.get(doc.domain, (INDICATORS, _indicators))
            entry = create_entry(session, SYSTEM, org_id, _entry_input(doc, list(items)))
            review_and_publish(session, entry)
            created += 1
            if doc.open_class == "not_open" or doc.data_type != "table":
                continue
            # One GBK CSV (the enterprise register) and one XLSX (the first transport table), as agencies send.
            suffix, encoding = ".csv", "utf-8"
            if doc.domain == "market" and doc.provider == "market":
                encoding = "gbk"
            elif doc.domain == "transport" and n == next(i for i, d in enumerate(DOCS) if d.domain == "transport"):
                suffix = ".xlsx"
            path = Path(tmp) / f"demo-{n}{suffix}"
            _write(maker(g, 2000 if doc.domain == "market" else 300), list(items), path, encoding)
            upload, size = datastore.place_as_upload(path, settings)
            run = datastore.start_ingest(session, SYSTEM, entry.id, upload, path.name, size, "演示数据")
            ingest_upload(ctx, run.id)  # now, so that `make run` serves data at once; the queued copy is a no-op
    return created
