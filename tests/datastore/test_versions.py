"""A16.1, A9.2: an upload becomes a new immutable version only when everything succeeded; a failed or killed
ingest leaves the previous version served and nothing partial visible."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from kaifang.access import Delivery
from kaifang.audit import AccessLog
from kaifang.datastore import services
from kaifang.datastore.engine import parse_query, rowfile, run_records
from kaifang.datastore.models import DatasetVersion, IngestRun
from kaifang.datastore.reading import open_for_reading
from kaifang.datastore.tasks import build_row_file, queue_missing_row_files
from kaifang.security import BusinessRuleError
from kaifang.tasks import JobContext
from tests.catalog.factories import entry_input, make_cast, publish_as_system

HEADER = "line_no,line_name,first_bus,fare\n"


def _upload(session, settings, principal, entry_id, tmp_path, text, name="bus.csv", encoding="utf-8"):
    src = tmp_path / name
    src.write_bytes(text.encode(encoding))
    path, size = services.place_as_upload(src, settings)
    return services.start_ingest(session, principal, entry_id, path, name, size)


@pytest.fixture
def cast(session):
    return make_cast(session)


@pytest.fixture
def entry(session, cast):
    return publish_as_system(session, cast.agency, entry_input())


def test_upload_publishes_a_version_with_quality_report_A16_1(session, settings, cast, entry, tmp_path):
    run = _upload(session, settings, cast.staff, entry.id, tmp_path,
                  HEADER + "1,一号线,06:00,2\n2,二号线,06:30,2.5\n2,二号线,06:30,2.5\n")
    session.expire_all()
    run = session.get(IngestRun, run.id)
    assert run.state == "succeeded", run.problems_json
    version = session.get(DatasetVersion, run.version_id)
    assert (version.number, version.row_count, version.field_count) == (1, 3, 4)
    assert (settings.files_dir / version.parquet_path).exists()
    assert not (settings.files_dir / run.upload_path).exists(), "the upload is removed once converted"
    quality = json.loads(version.quality_json)
    assert quality["duplicate_rows"] == 1 and version.quality_score < 100


def test_gbk_upload_round_trips(session, settings, cast, entry, tmp_path):
    run = _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,姑苏观前街专线,06:00,2\n",
                  encoding="gbk")
    session.expire_all()
    assert session.get(IngestRun, run.id).state == "succeeded"
    from kaifang.datastore.engine import preview

    readable = open_for_reading(session, cast.citizen, entry.id, Delivery.PREVIEW, "preview").unwrap()
    rows = preview(readable.path, readable.schema, readable.projection).rows
    assert rows[0]["line_name"] == "姑苏观前街专线"


def test_a_published_version_gets_its_row_file_and_the_sweep_remakes_a_lost_one_A19_1(session, settings, cast, entry,
                                                                                     tmp_path):
    """The row file (engine/rowfile.py) follows publication; one that is missing is queued again by the sweep."""
    run = _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,2\n2,二号线,06:30,2.5\n")
    session.expire_all()
    version = session.get(DatasetVersion, session.get(IngestRun, run.id).version_id)
    parquet = settings.files_dir / version.parquet_path
    rows = rowfile.open_for(parquet)
    assert rows is not None and rows.fetch([1, 0], ["line_name", "fare"]) == [("二号线", 2.5), ("一号线", 2.0)]
    rowfile.path_for(parquet).unlink()
    assert queue_missing_row_files(JobContext(session.info["queue"].sessions, settings)) == [version.id]
    assert rowfile.open_for(parquet) is not None  # the queued job ran (jobs run at once in the tests)
    assert queue_missing_row_files(JobContext(session.info["queue"].sessions, settings)) == []


def test_only_the_current_version_keeps_a_row_file_A19_1(session, settings, cast, entry, tmp_path):
    """A new version gets the row file and the older one loses its own (disk), and is still read, from Parquet."""
    first = _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,2\n", name="a.csv")
    second = _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "9,九号线,07:00,3\n", name="b.csv")
    session.expire_all()
    old, new = (session.get(DatasetVersion, session.get(IngestRun, r.id).version_id) for r in (first, second))
    assert rowfile.open_for(settings.files_dir / new.parquet_path) is not None
    assert not rowfile.path_for(settings.files_dir / old.parquet_path).exists()
    readable = open_for_reading(session, cast.staff, entry.id, Delivery.API, "api", version_number=1).unwrap()
    page = run_records(readable.path, readable.schema, parse_query([], readable.schema, readable.projection),
                       readable.projection)
    assert [r["line_name"] for r in page.rows] == ["一号线"]
    # A job for a version that is no longer the current one writes nothing.
    assert not build_row_file(JobContext(session.info["queue"].sessions, settings), old.id)
    assert not rowfile.path_for(settings.files_dir / old.parquet_path).exists()


def test_a_bad_upload_leaves_the_previous_version_served(session, settings, cast, entry, tmp_path):
    _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,2\n")
    bad = _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,两元\n", "bad.csv")
    session.expire_all()
    bad = session.get(IngestRun, bad.id)
    assert bad.state == "failed" and bad.problem_count == 1
    problem = json.loads(bad.problems_json)[0]
    assert problem["line"] == 2 and problem["field"] == "fare"
    served = open_for_reading(session, cast.citizen, entry.id, Delivery.API, "api").unwrap()
    assert served.version.number == 1
    assert session.execute(select(DatasetVersion).where(DatasetVersion.entry_id == entry.id)).scalars().all() \
        == [served.version]


def test_not_open_entries_take_no_data_A7_2(session, settings, cast, tmp_path):
    entry = publish_as_system(session, cast.agency, entry_input(name="不予开放测试", open_class="not_open"))
    with pytest.raises(BusinessRuleError, match="never published on the platform"):
        _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,2\n")


def test_reads_and_refusals_go_to_the_access_log_A9_4(session, settings, cast, tmp_path):
    entry = publish_as_system(session, cast.agency, entry_input(
        name="有条件测试", open_class="conditional", open_conditions="仅限交通研究机构用于线路优化研究"))
    _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,2\n")
    outcome = open_for_reading(session, cast.citizen, entry.id, Delivery.DOWNLOAD, "download:csv")
    assert outcome.readable is None and "approved application" in outcome.refused
    log = session.execute(select(AccessLog).where(AccessLog.entry_id == entry.id)).scalars().all()
    assert [(x.channel, x.outcome, x.actor_label) for x in log] == [("download:csv", "refused", "citizen@example.cn")]


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from kaifang.datastore.ingest import ingest_file
from kaifang.datastore.schema import FieldSpec, FieldType, TableSchema
schema = TableSchema((FieldSpec("n", "序号", FieldType.INTEGER), FieldSpec("name", "名称")))
def progress(f):
    if f > 0:
        print("started", flush=True)
        time.sleep(30)
ingest_file(Path(sys.argv[1]), "big.csv", schema, Path(sys.argv[2]), on_progress=progress)
"""


def test_an_ingest_killed_halfway_publishes_nothing(tmp_path):
    src = tmp_path / "big.csv"
    with src.open("w", encoding="utf-8") as fh:
        fh.write("n,name\n")
        for i in range(200_000):
            fh.write(f"{i},苏州企业{i}\n")
    dest = tmp_path / "out" / "v2.parquet"
    dest.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(src), str(dest)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ})
    assert proc.stdout.readline().strip() == "started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.1)
    assert not dest.exists(), "no version file appears when the ingest dies"
    from kaifang.datastore.ingest import remove_stale_work

    remove_stale_work(dest.parent, older_than_seconds=0)
    assert list(dest.parent.iterdir()) == [], "the leftovers of a killed ingest are swept away"


def test_a_killed_ingest_leaves_the_previous_version_served_over_http(client, session, settings, cast, entry,
                                                                        tmp_path):
    """Acceptance (issue 3): version 1 is published; a second ingest into the same entry's folder is killed
    halfway; the API still serves version 1 and no second version exists."""
    _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,2\n")
    src = tmp_path / "big.csv"
    with src.open("w", encoding="utf-8") as fh:
        fh.write("n,name\n")
        for i in range(200_000):
            fh.write(f"{i},苏州企业{i}\n")
    folder = settings.files_dir / "datasets" / str(entry.id)
    dest = folder / "killed.parquet"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(src), str(dest)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not dest.exists()
    r = client.get(f"/api/v1/datasets/{entry.id}/records")
    assert r.status_code == 200 and r.json()["version"] == 1
    assert r.json()["records"] == [{"line_no": "1", "line_name": "一号线", "first_bus": "06:00", "fare": 2.0}]


# --- the ingest run's lifecycle (kaifang/datastore/workflow.py) -------------------------------------------------

def _moves(session, run_id: int) -> list[tuple[str, str, str]]:
    from kaifang.workflow import history

    session.expire_all()
    return [(h.from_state, h.transition, h.to_state) for h in history(session, session.get(IngestRun, run_id))]


def test_an_ingest_run_moves_through_its_workflow_A16_1(session, settings, cast, entry, tmp_path):
    from tests.helpers import audit_events

    good = _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,2\n")
    bad = _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,两元\n", "bad.csv")
    assert _moves(session, good.id) == [("queued", "start", "running"), ("running", "succeed", "succeeded")]
    assert _moves(session, bad.id) == [("queued", "start", "running"), ("running", "fail", "failed")]
    actions = [(e.action, e.object_id) for e in audit_events(session, object_type="ingest_run")]
    assert actions == [("datastore_ingest.start", str(good.id)), ("datastore_ingest.succeed", str(good.id)),
                       ("datastore_ingest.start", str(bad.id)), ("datastore_ingest.fail", str(bad.id))]
    # The catalog heard of the version (the VersionPublished event): data volume and update date (A14.2, A16.3).
    from kaifang.catalog import get_entry
    from kaifang.security import SYSTEM

    view = get_entry(session, SYSTEM, entry.id)
    assert (view.row_count, view.field_count) == (1, 4) and view.data_updated_at is not None


def test_a_run_moves_only_through_its_workflow_and_only_by_the_system(session, settings, cast, entry, tmp_path):
    from kaifang.datastore.workflow import INGEST
    from kaifang.security import PermissionDenied
    from kaifang.workflow import StatusChangedOutsideWorkflow, transition

    run = _upload(session, settings, cast.staff, entry.id, tmp_path, HEADER + "1,一号线,06:00,2\n")
    session.expire_all()
    run = session.get(IngestRun, run.id)
    with pytest.raises(StatusChangedOutsideWorkflow):
        run.state = "failed"
    session.rollback()
    with pytest.raises(PermissionDenied):
        transition(session, cast.staff, INGEST, session.get(IngestRun, run.id), "fail", org=None)


def test_the_sweep_fails_a_run_whose_worker_died(session, settings, cast, entry, clock):
    import datetime as dt

    from kaifang.datastore.tasks import STALE_RUN, sweep
    from kaifang.db import utcnow

    stale = IngestRun(entry_id=entry.id, state="queued", progress=0.0, upload_path="uploads/gone.csv",
                      filename="gone.csv", size_bytes=10, created_at=utcnow())
    session.add(stale)
    session.commit()
    clock.advance(dt.timedelta(hours=7))
    assert sweep(JobContext(session.info["queue"].sessions, settings)) == 1
    assert _moves(session, stale.id) == [("queued", "fail", "failed")]
    run = session.get(IngestRun, stale.id)
    assert run.problem_count == 1 and json.loads(run.problems_json)[0]["msgid"] == STALE_RUN
