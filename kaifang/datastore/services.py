"""Uploading data to an entry (A9.2 目录发布, A16.1): the upload is checked and converted by a background job,
and becomes a new immutable version only when everything succeeded."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaifang.audit import record
from kaifang.catalog import EntryAccess, entry_access_info
from kaifang.config import Settings
from kaifang.datastore.models import DatasetVersion, IngestRun
from kaifang.datastore.workflow import INGEST
from kaifang.db import utcnow
from kaifang.events import VersionPublished, publish
from kaifang.security import BusinessRuleError, Permission, Principal, authorize, query, service
from kaifang.tasks import enqueue
from kaifang.workflow import transition

UPLOAD_FORMATS = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".json", ".jsonl", ".ndjson", ".xml")
CHUNK = 1 << 20


class UploadTooLarge(BusinessRuleError):
    def __init__(self, limit: int) -> None:
        super().__init__("The file is larger than the limit of %(limit)s MB.", field="file",
                         limit=limit // (1024 * 1024))


def uploads_dir(settings: Settings) -> Path:
    path = settings.files_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(settings: Settings, stream: BinaryIO, filename: str) -> tuple[Path, int]:
    """Stream an uploaded file to disk in chunks (never whole in memory), refusing it past the size limit.

    The file lands under a temporary name and is renamed only when complete, so an interrupted upload
    leaves nothing that looks like an upload."""
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_FORMATS:
        raise BusinessRuleError("Files of this type cannot be uploaded. Use CSV, TSV, XLSX, XLS, JSON or XML.",
                                field="file")
    folder = uploads_dir(settings)
    final = folder / f"{uuid.uuid4().hex}{suffix}"
    part = final.with_suffix(final.suffix + ".part")
    size = 0
    try:
        with part.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise UploadTooLarge(settings.max_upload_bytes)
                out.write(chunk)
        if size == 0:
            raise BusinessRuleError("The file is empty.", field="file")
        part.rename(final)
    finally:
        part.unlink(missing_ok=True)
    return final, size


def _entry_for_upload(session: Session, principal: Principal, entry_id: int) -> EntryAccess:
    access = entry_access_info(session, entry_id)
    authorize(principal, Permission.CATALOG_READ, access.org, hide=True)
    authorize(principal, Permission.CATALOG_MANAGE, access.org)
    if access.open_class == "not_open":
        raise BusinessRuleError("Data of an entry that is not open is never published on the platform.")
    if not access.schema.fields:
        raise BusinessRuleError("Declare the entry's data items before uploading data.")
    return access


@query(Permission.CATALOG_MANAGE)
def receive_upload(session: Session, principal: Principal, entry_id: int, stream: BinaryIO | None, filename: str,
                   note: str = "") -> IngestRun:
    """A9.2: an agency's upload, from the browser to a queued ingest run. Declared as a query because it opens
    no transaction of its own: the file is streamed to disk first (no write lock held meanwhile), and
    ``start_ingest`` is the unit of work. An entry the principal does not reach answers 404 before anything
    reaches the disk."""
    _entry_for_upload(session, principal, entry_id)
    if stream is None or not filename:
        raise BusinessRuleError("Please choose a file to upload.", field="file")
    path, size = save_upload(session.info["settings"], stream, filename)
    return start_ingest(session, principal, entry_id, path, filename, size, note)


@service(Permission.CATALOG_MANAGE)
def start_ingest(session: Session, principal: Principal, entry_id: int, upload: Path, filename: str, size: int,
                 note: str = "") -> IngestRun:
    """Queue the check and conversion of an uploaded file; the job reports progress on the run."""
    try:
        _entry_for_upload(session, principal, entry_id)
    except Exception:
        upload.unlink(missing_ok=True)
        raise
    settings: Settings = session.info["settings"]
    run = IngestRun(entry_id=entry_id, state=INGEST.initial, progress=0.0,
                    upload_path=str(upload.relative_to(settings.files_dir)), filename=Path(filename).name[:300],
                    size_bytes=size, problems_json="[]", problem_count=0, note=note.strip()[:500],
                    created_by_user_id=principal.user_id, created_at=utcnow())
    session.add(run)
    session.flush()
    record(session, principal, "datastore.ingest_started", "catalog_entry", entry_id,
           after={"run": run.id, "filename": run.filename, "size": size})
    enqueue(session, "datastore.ingest", run_id=run.id)
    return run


def next_version_number(session: Session, entry_id: int) -> int:
    current = session.execute(select(func.max(DatasetVersion.number)).where(
        DatasetVersion.entry_id == entry_id)).scalar()
    return (current or 0) + 1


@service(Permission.CATALOG_MANAGE)
def publish_version(session: Session, principal: Principal, run: IngestRun, *, parquet_rel: str, sha256: str,
                    size_bytes: int, row_count: int, field_count: int, schema_json: list, fmt: str,
                    encoding: str | None, quality: dict) -> DatasetVersion:
    """Record the new version (called by the ingest job inside its transaction, once the Parquet file exists).
    ``principal`` is the job acting for the platform (``is_system``): only the system moves an ingest run."""
    version = DatasetVersion(
        entry_id=run.entry_id, number=next_version_number(session, run.entry_id), parquet_path=parquet_rel,
        sha256=sha256, size_bytes=size_bytes, row_count=row_count, field_count=field_count,
        schema_json=json.dumps(schema_json, ensure_ascii=False), source_filename=run.filename, source_format=fmt,
        source_encoding=encoding, quality_json=json.dumps(quality, ensure_ascii=False, default=str),
        quality_score=float(quality["score"]), created_by_user_id=run.created_by_user_id, created_at=utcnow(),
        note=run.note,
    )
    session.add(version)
    session.flush()
    run.version_id, run.progress, run.finished_at = version.id, 1.0, utcnow()
    transition(session, principal, INGEST, run, "succeed", org=None, version=version.number)
    enqueue(session, "datastore.row_file", version_id=version.id)  # faster pages, once it is written
    record(session, principal, "datastore.version_published", "catalog_entry", run.entry_id,
           after={"version": version.number, "rows": row_count, "sha256": sha256, "quality": version.quality_score})
    # The catalog records the data volume and the data update (A14.2, A16.3) in this same transaction.
    publish(session, principal, VersionPublished(run.entry_id, version.id, version.number, row_count, field_count))
    return version


def remove_upload(settings: Settings, run: IngestRun) -> None:
    path = settings.files_dir / run.upload_path
    path.unlink(missing_ok=True)


def place_as_upload(src: Path, settings: Settings) -> tuple[Path, int]:
    """Copy a file on disk into the upload area (demo data and the command line use the real pipeline)."""
    folder = uploads_dir(settings)
    dest = folder / f"{uuid.uuid4().hex}{src.suffix.lower()}"
    shutil.copyfile(src, dest)
    return dest, dest.stat().st_size
