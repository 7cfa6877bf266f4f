"""Builder for the ingest-run workflow of the datastore (kaifang/datastore/workflow.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kaifang.catalog.models import CatalogEntry
from kaifang.datastore.models import IngestRun
from kaifang.datastore.workflow import INGEST
from kaifang.security import OrgRef
from tests.access.factories import conditional_register
from tests.workflow.builders import PLATFORM, Builder, Scene, place


def _run(scene: Scene, state: str) -> Any:
    """The run that ingested the data of a published register (through the real upload and ingest job), put in
    ``state``: jobs run at once in the tests, so a run is seen only once it has finished."""
    entry = conditional_register(scene.session, scene.settings, scene.world, scene.tmp_path,
                                 open_class="unconditional", name="苏州市企业名录")
    run = scene.session.execute(select(IngestRun).where(IngestRun.entry_id == entry.id)
                                .order_by(IngestRun.id.desc())).scalars().first()
    assert run is not None, "the register's data was ingested by a run"
    return place(scene.session, INGEST, run, state)


def _org(scene: Scene, run: Any, _transition: str) -> OrgRef:
    entry = scene.session.get(CatalogEntry, run.entry_id)
    assert entry is not None
    return OrgRef(entry.provider_org_id, entry.region_code)


BUILDERS = {
    INGEST.name: Builder(build=_run, org=_org, actors={"start": PLATFORM, "succeed": PLATFORM, "fail": PLATFORM}),
}
