"""The platform under test: a fresh Kaifang installation (SQLite database and files under the work dir) with the
enterprise register published as an unconditionally open entry, and the timed ingest step.

Everything goes through the product's own services, as ``kaifang.demo.catalog`` does: the organisation, the
entry with its 11 data items, the privacy and legality reviews, publication, the upload and the ingest job
(``datastore.tasks.ingest_upload``: type checks, Parquet, quality report, the new version published).

Run as a script for one timed ingest in a fresh process (so that its peak memory is its own)::

    python -m bench.platform ingest VAR_DIR DATABASE_URL ENTRY_ID CSV
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ENTRY_NAME = "苏州市企业登记信息"
PROVIDER = "苏州市市场监督管理局"


def settings_for(var_dir: Path, database_url: str):
    from kaifang.config import Settings

    return Settings(var_dir=var_dir, database_url=database_url, jobs_backend="embedded", jobs_embedded_worker=False,
                    env="development", mail_backend="file")


def sessions_for(settings):
    from kaifang.db import make_engine, make_sessionmaker
    from kaifang.tasks import JobQueue

    factory = make_sessionmaker(make_engine(settings.database_url))
    factory.configure(info={"settings": settings, "queue": JobQueue(settings, factory)})
    return factory


def setup_platform(var_dir: Path, url: str | None = None) -> dict:
    """Migrate a new database (``url``, else a SQLite file under ``var_dir``) and publish the (still empty)
    enterprise register entry. Returns what the other steps need."""
    from kaifang import migrate
    from kaifang.accounts import organisations
    from kaifang.accounts.schemas import OrganisationInput
    from kaifang.catalog import EntryInput, create_entry
    from kaifang.demo.catalog import ENTERPRISE, review_and_publish
    from kaifang.security import SYSTEM

    var_dir.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{var_dir / 'kaifang.db'}"
    migrate.upgrade(url)
    settings = settings_for(var_dir, url)
    with sessions_for(settings)() as session:
        org = organisations.create_organisation(session, SYSTEM, OrganisationInput(
            name=PROVIDER, kind="provider", region_code="320500", domain="market"))
        entry = create_entry(session, SYSTEM, org.id, EntryInput(
            name=ENTRY_NAME, domain="market", open_class="unconditional", data_type="table",
            formats=["csv", "json", "xlsx"], update_frequency="daily", tags=["企业", "工商登记"],
            summary="在苏州市登记的企业名称、统一社会信用代码、法定代表人、注册资本、成立日期和登记状态。",
            contact_name="数据管理科", contact_phone="0512-65220000", contact_email="opendata@suzhou.gov.cn",
            items=list(ENTERPRISE), usage_terms="使用本数据应注明数据来源。", scenarios="企业查询、产业分析"))
        review_and_publish(session, entry)  # the demo's path through the publishing workflow
        entry_id = entry.id
    return {"var_dir": str(var_dir), "database_url": url, "entry_id": entry_id}


def ingest_step(var_dir: Path, database_url: str, entry_id: int, src: Path) -> dict:
    """Upload ``src`` to the entry and run the ingest job; time from the queued run to the published version."""
    from kaifang.datastore import services as datastore
    from kaifang.datastore.models import DatasetVersion
    from kaifang.datastore.tasks import ingest_upload
    from kaifang.security import SYSTEM
    from kaifang.tasks import JobContext

    settings = settings_for(var_dir, database_url)
    sessions = sessions_for(settings)
    ctx = JobContext(sessions, settings)
    upload, size = datastore.place_as_upload(src, settings)  # what the upload form does, not timed
    with sessions() as session:
        start = time.perf_counter()
        run = datastore.start_ingest(session, SYSTEM, entry_id, upload, src.name, size, "benchmark")
        version_id = ingest_upload(ctx, run.id)
        seconds = time.perf_counter() - start
        if version_id is None:
            raise SystemExit(f"the ingest of {src} was refused: see ingest run {run.id}")
        version = session.get(DatasetVersion, version_id)
        quality = json.loads(version.quality_json)
        return {"seconds": seconds, "version": version.number, "version_id": version_id, "rows": version.row_count,
                "encoding": version.source_encoding, "parquet": str(settings.files_dir / version.parquet_path),
                "parquet_bytes": version.size_bytes, "quality_score": version.quality_score,
                "quality_grade": quality.get("grade"), "source_bytes": size}


def row_file_step(var_dir: Path, database_url: str, version_id: int) -> dict:
    """Run the product's ``datastore.row_file`` job for a version (queued at publication; the benchmark's
    platform runs no worker), timed on its own: it follows the publication and is not part of the ingest."""
    from kaifang.datastore.engine import rowfile
    from kaifang.datastore.models import DatasetVersion
    from kaifang.datastore.tasks import build_row_file
    from kaifang.tasks import JobContext

    settings = settings_for(var_dir, database_url)
    sessions = sessions_for(settings)
    with sessions() as session:
        parquet = settings.files_dir / session.get(DatasetVersion, version_id).parquet_path
    start = time.perf_counter()
    written = build_row_file(JobContext(sessions, settings), version_id)
    seconds = time.perf_counter() - start
    if not written or rowfile.open_for(parquet) is None:
        raise SystemExit(f"no row file was written for version {version_id}")
    return {"seconds": seconds, "bytes": rowfile.path_for(parquet).stat().st_size}


if __name__ == "__main__":
    if sys.argv[1:2] == ["ingest"]:
        _, _, var, url, entry, src = sys.argv
        print(json.dumps(ingest_step(Path(var), url, int(entry), Path(src))))
    elif sys.argv[1:2] == ["row-file"]:
        _, _, var, url, version = sys.argv
        print(json.dumps(row_file_step(Path(var), url, int(version))))
    else:
        raise SystemExit(__doc__)
