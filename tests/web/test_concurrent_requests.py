"""Concurrent requests on a committed database (the embedded shape: a SQLite file in WAL mode, or a throw-away
PostgreSQL database): data-API reads, dataset pages, downloads, refused reads and form posts from several threads
at once never fail with "database is locked", and every read or refusal is in the data access log exactly once
(A9.4). See docs/decisions/0008-sqlite-write-transactions.md.

The shared fixtures run each test in one rolled-back connection, where no transaction of the app ever begins:
this test builds its own app with the production engine and sessions on its own database."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kaifang import migrate
from kaifang.accounts import organisations
from kaifang.accounts.apikeys import create_api_key
from kaifang.accounts.models import ApiKey
from kaifang.accounts.queries import load_principal
from kaifang.accounts.schemas import OrganisationInput
from kaifang.app import create_app
from kaifang.audit.chain import verify_chain
from kaifang.audit.models import AccessLog, AuditEvent
from kaifang.catalog.models import CatalogEntry
from kaifang.config import Settings
from kaifang.datastore.models import DatasetVersion
from kaifang.datastore.services import place_as_upload, start_ingest
from kaifang.security import ANONYMOUS, SYSTEM
from tests.catalog.factories import entry_input, publish_as_system
from tests.catalog.test_console_pages import bus_csv
from tests.personas import CSRF_RE, PASSWORD, register

THREADS = 8
ROUNDS = 8


@dataclass(frozen=True)
class Platform:
    app: FastAPI
    open_id: int
    conditional_id: int
    readers: list[tuple[str, str]]  # (e-mail, API key)


@pytest.fixture
def platform(committed_database_url: str, tmp_path: Path) -> Iterator[Platform]:
    migrate.upgrade(committed_database_url)
    settings = Settings(env="test", var_dir=tmp_path / "var", database_url=committed_database_url,
                        secret_key="concurrency-test-secret", jobs_backend="immediate", mail_backend="file",
                        rate_limit_anonymous=100_000, rate_limit_identified=100_000)
    app = create_app(settings, start_worker=False)  # the engine and sessions `kaifang serve` makes
    with app.state.sessions() as s:
        org = organisations.create_organisation(s, SYSTEM, OrganisationInput(
            name="苏州市交通运输局(并发测试)", kind="provider", region_code="320500")).id
        entry = publish_as_system(s, org, entry_input())
        conditional = publish_as_system(s, org, entry_input(name="有条件的公交数据(并发测试)", open_class="conditional",
                                                            open_conditions="仅限交通研究机构用于线路优化研究"))
        src = tmp_path / "bus.csv"
        src.write_bytes(bus_csv())
        path, size = place_as_upload(src, settings)
        start_ingest(s, SYSTEM, entry.id, path, "bus.csv", size)  # the job runs when this commits
        assert s.execute(select(func.count()).select_from(DatasetVersion)
                         .where(DatasetVersion.entry_id == entry.id)).scalar_one() == 1
        readers = []
        for i in range(THREADS):
            email = f"reader{i}@example.cn"
            uid = register(s, email, f"reader{i}")
            owner = load_principal(s, ANONYMOUS, uid, 0)
            assert owner is not None
            readers.append((email, create_api_key(s, owner, f"app {i}").plaintext))
    yield Platform(app, entry.id, conditional.id, readers)
    app.state.sessions.kw["bind"].dispose()


def _reader(p: Platform, email: str, key: str, start: threading.Barrier, answers: list[tuple[str, int, str]]) -> None:
    try:
        _read_and_write(p, email, key, start, answers)
    except BaseException as exc:  # the test names it; the other threads must not wait for this one
        start.abort()
        answers.append(("thread", 599, repr(exc)))


def _read_and_write(p: Platform, email: str, key: str, start: threading.Barrier,
                    answers: list[tuple[str, int, str]]) -> None:
    with TestClient(p.app, base_url="http://testserver", follow_redirects=False,
                    raise_server_exceptions=False) as client:  # a failure is a 500, as a real client sees it
        token = CSRF_RE.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
        r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        answers.append(("login", r.status_code, r.text[:300] if r.status_code >= 500 else ""))
        if r.status_code != 303:
            start.abort()
            return
        token = CSRF_RE.search(client.get("/me").text).group(1)  # type: ignore[union-attr]
        keyed = {"X-API-Key": key}
        start.wait(timeout=120)
        for n in range(ROUNDS):
            calls = [
                ("api", lambda: client.get(f"/api/v1/datasets/{p.open_id}/records?_limit=2", headers=keyed)),
                ("refused", lambda: client.get(f"/api/v1/datasets/{p.conditional_id}/records", headers=keyed)),
                ("page", lambda: client.get(f"/datasets/{p.open_id}")),
                ("download", lambda: client.get(f"/datasets/{p.open_id}/download/csv")),
                ("profile", lambda n=n: client.post("/me/profile", data={  # type: ignore[misc]
                    "display_name": f"{email} {n}", "lang": "zh_CN", "csrf_token": token})),
            ]
            for kind, call in calls:
                r = call()
                answers.append((kind, r.status_code, r.text[:300] if r.status_code >= 500 else ""))


def test_concurrent_reads_and_writes_never_fail_and_each_read_is_logged_once_A9_4(platform: Platform) -> None:
    answers: list[tuple[str, int, str]] = []
    start = threading.Barrier(THREADS)
    threads = [threading.Thread(target=_reader, args=(platform, email, key, start, answers))
               for email, key in platform.readers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 600
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads)

    failures = [a for a in answers if a[1] >= 500]
    assert failures == [], f"{len(failures)} of {len(answers)} requests failed, e.g. {failures[:3]}"
    expected = {"login": 303, "api": 200, "refused": 403, "page": 200, "download": 200, "profile": 303}
    assert Counter((kind, status) for kind, status, _ in answers) == Counter(
        {(kind, status): THREADS if kind == "login" else THREADS * ROUNDS for kind, status in expected.items()})

    n = THREADS * ROUNDS
    with platform.app.state.sessions() as s:
        log = Counter(s.execute(select(AccessLog.entry_id, AccessLog.channel, AccessLog.outcome)).all())
        assert log == Counter({(platform.open_id, "api", "served"): n, (platform.conditional_id, "api", "refused"): n,
                               (platform.open_id, "preview", "served"): n,
                               (platform.open_id, "download:csv", "served"): n})
        entry = s.get(CatalogEntry, platform.open_id)
        assert entry is not None and (entry.views, entry.downloads) == (n, n)
        assert s.execute(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "accounts.profile_updated")).scalar_one() == n
        assert verify_chain(s).ok
        unused = select(func.count()).select_from(ApiKey).where(ApiKey.last_used_at.is_(None))
        assert s.execute(unused).scalar_one() == 0  # each key's use recorded, apart from the reads

