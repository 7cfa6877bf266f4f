"""The ingest job: check and convert an upload, compute its quality report, publish the version atomically;
then the row file of the published version (engine/rowfile.py), which makes its pages fast."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid

from huey import crontab
from sqlalchemy import func, select, update

from kaifang.catalog import entry_schema
from kaifang.datastore.engine import rowfile
from kaifang.datastore.ingest import IngestError, IngestRejected, ingest_file, remove_stale_work
from kaifang.datastore.models import DatasetVersion, IngestRun
from kaifang.datastore.quality import quality_report
from kaifang.datastore.queries import current_version
from kaifang.datastore.services import publish_version, remove_upload
from kaifang.datastore.workflow import BUSY, FINISHED, INGEST
from kaifang.db import utcnow
from kaifang.security import SYSTEM, Principal, atomic
from kaifang.tasks import JobContext, enqueue, job, periodic_job
from kaifang.workflow import transition

log = logging.getLogger("kaifang.datastore")


def _set(ctx: JobContext, run_id: int, **values: object) -> None:
    """Progress only: the run's state moves through its workflow (kaifang/datastore/workflow.py)."""
    with ctx.sessions() as session:
        session.execute(update(IngestRun).where(IngestRun.id == run_id).values(**values))
        session.commit()


def _actor(run: IngestRun) -> Principal:
    # The job acts for the platform on behalf of the uploader, whose permission was checked at upload.
    return Principal(user_id=run.created_by_user_id, label=f"ingest run {run.id}", is_system=True)


@job("datastore.ingest", retries=1, retry_delay=30)
def ingest_upload(ctx: JobContext, run_id: int) -> int | None:
    """Returns the new version id, or None when the file was refused (a refusal is final: no retry)."""
    settings = ctx.settings
    with ctx.sessions() as session, atomic(session):
        run = session.get(IngestRun, run_id)
        if run is None or run.state in FINISHED:
            return None
        schema = entry_schema(session, run.entry_id)
        entry_id, upload, filename = run.entry_id, settings.files_dir / run.upload_path, run.filename
        run.progress = 0.0
        transition(session, _actor(run), INGEST, run, "start", org=None)  # again when the job is retried
    rel = f"datasets/{entry_id}/{uuid.uuid4().hex}.parquet"
    dest = settings.files_dir / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    last = [0.0, time.monotonic()]

    def progress(fraction: float) -> None:  # at most one database write per second
        if fraction - last[0] >= 0.05 and time.monotonic() - last[1] >= 1.0:
            last[0], last[1] = fraction, time.monotonic()
            _set(ctx, run_id, progress=round(fraction * 0.9, 3))

    try:
        result = ingest_file(upload, filename, schema, dest, max_bytes=settings.max_upload_bytes,
                             on_progress=progress)
    except IngestRejected as exc:
        _fail(ctx, run_id, [p.to_json() for p in exc.problems], exc.total)
        return None
    except IngestError as exc:
        _fail(ctx, run_id, [{"line": None, "column": None, "field": None, "msgid": exc.msgid,
                             "params": exc.params}], 1)
        return None
    try:
        quality = quality_report(dest, schema).to_json()
        with ctx.sessions() as session, atomic(session):  # the version and the entry's dates land together
            run = session.get_one(IngestRun, run_id)
            # The catalog's data volume and update dates follow (the VersionPublished event, kaifang/events.py).
            version = publish_version(
                session, _actor(run), run, parquet_rel=rel, sha256=result.sha256, size_bytes=result.size_bytes,
                row_count=result.row_count, field_count=result.field_count, schema_json=schema.to_json(),
                fmt=result.format, encoding=result.encoding, quality=quality)
            version_id = version.id
    except BaseException:
        dest.unlink(missing_ok=True)  # nothing published: the previous version stays the one served
        raise
    remove_upload(settings, run)
    return version_id


def _failed(session, actor: Principal, run: IngestRun, problems: list[dict], total: int) -> None:
    run.finished_at, run.problem_count = utcnow(), total
    run.problems_json = json.dumps(problems, ensure_ascii=False, default=str)
    transition(session, actor, INGEST, run, "fail", org=None, problems=total)


def _fail(ctx: JobContext, run_id: int, problems: list[dict], total: int) -> None:
    with ctx.sessions() as session:
        with atomic(session):
            run = session.get(IngestRun, run_id)
            if run is None:
                return
            _failed(session, _actor(run), run, problems, total)
        remove_upload(ctx.settings, run)


STALE_RUN = "The check was interrupted before it finished. Please upload the file again."


@periodic_job("datastore.sweep", crontab(minute="*/30"))
def sweep(ctx: JobContext) -> int:
    """Mark runs whose worker died as failed, and remove what killed ingests left on disk (never a version)."""
    cutoff = utcnow() - dt.timedelta(hours=6)
    problems: list[dict] = [{"line": None, "column": None, "field": None, "msgid": STALE_RUN, "params": {}}]
    with ctx.sessions() as session, atomic(session):
        stale = list(session.execute(select(IngestRun).where(
            IngestRun.state.in_(BUSY), IngestRun.created_at < cutoff).order_by(IngestRun.id)).scalars())
        for run in stale:
            _failed(session, SYSTEM, run, problems, 1)
    root = ctx.settings.files_dir / "datasets"
    if root.exists():
        for folder in root.iterdir():
            if folder.is_dir():
                remove_stale_work(folder, older_than_seconds=6 * 3600)
    queue_missing_row_files(ctx)
    return len(stale)


def queue_missing_row_files(ctx: JobContext, limit: int = 20) -> list[int]:
    """Queue the row file of each entry's current version that has none (its job failed, or the version was
    published before row files existed); at most ``limit`` per call. Returns the version ids queued."""
    with ctx.sessions() as session:
        current = select(func.max(DatasetVersion.id)).group_by(DatasetVersion.entry_id)
        versions = session.execute(select(DatasetVersion.id, DatasetVersion.parquet_path)
                                   .where(DatasetVersion.id.in_(current)).order_by(DatasetVersion.id)).all()
        missing = [vid for vid, rel in versions
                   if (ctx.settings.files_dir / rel).exists()
                   and rowfile.open_for(ctx.settings.files_dir / rel) is None][:limit]
        for vid in missing:
            enqueue(session, "datastore.row_file", version_id=vid)
        session.commit()
    return missing


@job("datastore.row_file", retries=2, retry_delay=60)
def build_row_file(ctx: JobContext, version_id: int) -> bool:
    """Write the row file of a published version (queued by ``publish_version``) if it is still the entry's
    current one, and remove the row files of the entry's older versions. Until it exists, and if it cannot be
    written, the version is read from its Parquet file alone: same answers, slower pages. Returns whether a
    file was written."""
    with ctx.sessions() as session:
        version = session.get(DatasetVersion, version_id)
        if version is None:
            return False
        parquet = ctx.settings.files_dir / version.parquet_path
        current = current_version(session, version.entry_id)
        older = session.execute(select(DatasetVersion.parquet_path).where(
            DatasetVersion.entry_id == version.entry_id, DatasetVersion.id < version.id)).scalars().all()
    if current is None or current.id != version_id:
        return False  # a newer version was published meanwhile: only the current one gets a row file
    written = False
    if rowfile.open_for(parquet) is None:
        rowfile.write(parquet, memory_limit=ctx.settings.query_memory_limit)
        log.info("row file written for version %s (%s)", version_id, parquet.name)
        written = True
    # Older versions are read rarely (``version=`` in the API): from their Parquet files alone, same answers.
    # Their row files would only hold disk (~6x the Parquet file each).
    for rel in older:
        rowfile.path_for(ctx.settings.files_dir / rel).unlink(missing_ok=True)
    return written
