"""Uploads, previews and the access decision on the pages (A9.2, A16.1, A16.2, A7.3, A19.1): encodings round-trip,
a refused file says where it is wrong and publishes nothing, a run in progress shows and refreshes its progress,
and conditionally open data is refused on every path while its metadata stays visible."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.audit import AccessLog
from kaifang.catalog import EntryCard, get_entry
from kaifang.datastore.models import DatasetVersion, IngestRun
from kaifang.datastore.workflow import INGEST
from kaifang.db import utcnow
from kaifang.security import SYSTEM
from kaifang.workflow import transition
from tests.catalog.test_console_pages import (
    BUS_ROWS,
    act,
    bus_csv,
    create_entry_via_form,
    numeric,
    publish_via_console,
    sign_in_as,
    upload,
)
from tests.personas import World

FORMATS = ("csv", "json", "xml", "xlsx", "parquet")


def _runs(session: Session, entry_id: int) -> list[IngestRun]:
    session.expire_all()
    return list(session.execute(select(IngestRun).where(IngestRun.entry_id == entry_id)
                                .order_by(IngestRun.id)).scalars())


def _versions(session: Session, entry_id: int) -> int:
    return session.execute(select(func.count()).select_from(DatasetVersion)
                           .where(DatasetVersion.entry_id == entry_id)).scalar_one()


def published_bus_entry(client: TestClient, world: World, session: Session, content: bytes | None = None,
                        **form: object) -> EntryCard:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world, **form)
    assert upload(client, entry_id, content or bus_csv()).status_code == 303
    assert _runs(session, entry_id)[-1].state == "succeeded"
    publish_via_console(client, world, entry_id)
    client.cookies.clear()
    return get_entry(session, SYSTEM, entry_id).card


def test_a9_2_a_gbk_csv_round_trips_exactly(client: TestClient, world: World, session: Session) -> None:
    rows = [*BUS_ROWS, {"line_no": "快线1", "line_name": "吴江汽车站—独墅湖", "first_bus": "06:10", "fare": 3.0}]
    entry = published_bus_entry(client, world, session, bus_csv(rows, encoding="gbk"))
    version = session.execute(select(DatasetVersion).where(DatasetVersion.entry_id == entry.id)).scalar_one()
    assert version.source_encoding and version.source_encoding.lower().replace("-", "") in ("gbk", "gb18030")
    download = client.get(f"/datasets/{entry.id}/download/csv")
    assert download.status_code == 200
    assert numeric(list(csv.DictReader(io.StringIO(download.content.decode("utf-8"))))) == rows
    assert "吴江汽车站—独墅湖" in client.get(f"/datasets/{entry.slug}").text


def test_a9_2_a_refused_file_shows_line_and_column_and_publishes_nothing(client: TestClient, world: World,
                                                                        session: Session) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    bad = [BUS_ROWS[0], {**BUS_ROWS[1], "fare": "两元"}, BUS_ROWS[2]]
    assert upload(client, entry_id, bus_csv(bad)).status_code == 303
    run = _runs(session, entry_id)[-1]
    assert run.state == "failed" and run.version_id is None and run.problem_count == 1
    assert _versions(session, entry_id) == 0
    page = client.get(f"/console/catalog/{entry_id}/data").text
    # The header is line 1, so the second data row is line 3; fare is the fourth column.
    assert "第 3 行第 4 列（fare）：“两元”不是数值。" in page
    assert '<td class="num">3</td><td>4</td><td>fare</td>' in page
    assert "未通过" in page and "Refresh" not in client.get(f"/console/catalog/{entry_id}/data").headers
    # Nothing to preview or download: the page says so.
    preview = client.get(f"/datasets/{entry_id}").text
    assert "该目录尚未发布数据。" in preview


@pytest.mark.parametrize(("filename", "message"), [
    ("bus.pdf", "不支持上传此类文件。请使用 CSV、TSV、XLSX、XLS、JSON 或 XML 格式。"),
    ("bus.csv", "文件为空。"),
])
def test_a9_2_an_unusable_upload_is_refused_on_the_page(client: TestClient, world: World, session: Session,
                                                        filename: str, message: str) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    answer = upload(client, entry_id, b"%PDF-1.4" if filename.endswith(".pdf") else b"", filename)
    assert answer.status_code == 400
    assert f'<p class="error" id="e-file">{message}</p>' in answer.text
    assert _runs(session, entry_id) == []


def test_a9_2_a_file_over_the_limit_is_refused(client: TestClient, world: World, session: Session,
                                              settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "max_upload_bytes", 1024 * 1024)
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    big = bus_csv() + b"9,x,06:00,1\r\n" * 100_000
    answer = upload(client, entry_id, big)
    assert answer.status_code == 400 and "文件超过 1 MB 的大小上限。" in answer.text
    assert _runs(session, entry_id) == []
    assert not any(p.name.endswith(".part") for p in (settings.files_dir / "uploads").iterdir())


def test_a9_2_a_run_in_progress_shows_its_progress_and_refreshes_the_page(client: TestClient, world: World,
                                                                         session: Session) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    # A run the worker has half done (the test client runs jobs at once, so one is put in place here).
    run = IngestRun(entry_id=entry_id, state=INGEST.initial, progress=0.4, upload_path="uploads/x.csv",
                    filename="大文件.csv", size_bytes=123456, created_at=utcnow())
    session.add(run)
    transition(session, SYSTEM, INGEST, run, "start", org=None)
    page = client.get(f"/console/catalog/{entry_id}/data")
    assert page.headers["Refresh"] == "2"
    assert '<progress value="0.400" max="1"' in page.text and "校验中" in page.text and "大文件.csv" in page.text
    assert "本页每 2 秒自动刷新" in page.text


def test_a9_2_the_preview_sorts_and_filters_and_logs_each_read(client: TestClient, world: World,
                                                              session: Session) -> None:
    entry = published_bus_entry(client, world, session)
    reads = session.execute(select(func.count()).select_from(AccessLog)
                            .where(AccessLog.entry_id == entry.id)).scalar_one()
    page = client.get(f"/datasets/{entry.slug}").text
    assert "火车站—南门" in page and 'href="?sort=fare#preview"' in page
    by_fare = client.get(f"/datasets/{entry.slug}", params={"sort": "-fare"}).text
    assert by_fare.index("苏州博物馆—虎丘") < by_fare.index("火车站—南门")
    assert 'aria-sort="descending"' in by_fare and 'href="?sort=fare#preview"' in by_fare
    filtered = client.get(f"/datasets/{entry.slug}", params={"col": "line_name", "op": "contains", "value": "虎丘"})
    assert "苏州博物馆—虎丘" in filtered.text and "火车站—南门" not in filtered.text
    wrong = client.get(f"/datasets/{entry.slug}", params={"col": "fare", "op": "gt", "value": "很多"})
    assert wrong.status_code == 200 and "“很多”不是字段 fare 的有效" in wrong.text
    logged = session.execute(select(AccessLog.channel, AccessLog.outcome).where(AccessLog.entry_id == entry.id)
                             .order_by(AccessLog.id)).all()[reads:]
    assert [c for c, _ in logged] == ["preview"] * 4 and all(o == "served" for _, o in logged)


def test_a16_1_the_dataset_page_shows_the_quality_report_and_versions(client: TestClient, world: World,
                                                                     session: Session) -> None:
    entry = published_bus_entry(client, world, session)
    page = client.get(f"/datasets/{entry.slug}").text
    assert "质量评分：100.0（满分 100）" in page and ">优</span>" in page
    assert "<code>line_no</code>" in page and "0 (0.0%)" in page
    versions = page.split('id="versions"')[1].split("</section>")[0]
    assert "<td>1</td>" in versions and '<td class="num">3</td>' in versions


def test_a7_3_conditional_data_is_refused_everywhere_but_its_metadata_is_shown(client: TestClient, world: World,
                                                                              session: Session) -> None:
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world, open_class="conditional",
                                     open_conditions="仅限交通规划研究机构用于线网优化研究")
    assert upload(client, entry_id, bus_csv()).status_code == 303
    assert act(client, entry_id, "submit").status_code == 303
    sign_in_as(client, world, "provider_cdo")
    for kind in ("privacy", "legality"):
        assert act(client, entry_id, "review", kind=kind, conclusion="approve", opinion="同意").status_code == 303
    assert act(client, entry_id, "publish").status_code == 400  # A32.1: the expert review is still missing
    sign_in_as(client, world, "expert")
    assert f'href="/console/catalog/{entry_id}"' in client.get("/console/catalog/reviews").text
    expert = act(client, entry_id, "review", kind="expert", conclusion="approve", opinion="无关联分析风险")
    assert expert.status_code == 303, expert.text[:2000]
    sign_in_as(client, world, "provider_cdo")
    assert act(client, entry_id, "publish").status_code == 303
    slug = get_entry(session, SYSTEM, entry_id).card.slug

    for persona in ("anonymous", "citizen"):
        client.cookies.clear()
        if persona != "anonymous":
            sign_in_as(client, world, persona)
        page = client.get(f"/datasets/{slug}").text
        assert "仅限交通规划研究机构用于线网优化研究" in page and "线路编号" in page and "公交线路的编号" in page
        assert "该数据目录属于有条件开放类，仅向申请获批的利用主体提供数据。" in page
        assert "火车站—南门" not in page and f"/datasets/{entry_id}/download/" not in page
        api = client.get(f"/api/v1/datasets/{entry_id}/records")
        assert api.status_code == 403 and "火车站" not in api.text
        for fmt in FORMATS:
            refused = client.get(f"/datasets/{entry_id}/download/{fmt}")
            assert refused.status_code == 403, (persona, fmt)
            assert "火车站".encode() not in refused.content


def test_an_over_long_upload_note_is_refused_and_nothing_is_stored(client: TestClient, world: World,
                                                                    session: Session) -> None:
    """The upload form bounds what it reads (a crafted note of any size is not passed on): 400, the message on the
    page, no run and no file."""
    sign_in_as(client, world, "provider_staff")
    entry_id = create_entry_via_form(client, world)
    answer = upload(client, entry_id, bus_csv(), note="备" * 2001)
    assert answer.status_code == 400
    assert "最多 2000 个字符" in answer.text
    assert _runs(session, entry_id) == []
