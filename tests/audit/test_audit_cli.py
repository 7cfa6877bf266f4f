"""A9.4 acceptance: `kaifang audit verify` passes on an untouched database and fails, naming the event,
after a direct edit. Runs the real command in a subprocess against a database it creates and commits to."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text

from kaifang import migrate
from kaifang.accounts import organisations
from kaifang.accounts.schemas import OrganisationInput
from kaifang.config import Settings
from kaifang.db import make_engine, make_sessionmaker
from kaifang.security import SYSTEM
from kaifang.tasks import JobQueue


def _run(url, tmp_path):
    env = {**os.environ, "KAIFANG_DATABASE_URL": url, "KAIFANG_VAR_DIR": str(tmp_path / "var"),
           "KAIFANG_JOBS_BACKEND": "immediate"}
    return subprocess.run([sys.executable, "-m", "kaifang.cli", "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_audit_verify_command_A9_4(committed_database_url, tmp_path):
    migrate.upgrade(committed_database_url)
    settings = Settings(env="test", var_dir=tmp_path / "var", database_url=committed_database_url, secret_key="x",
                        jobs_backend="immediate")
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    sessions.configure(info={"settings": settings, "queue": JobQueue(settings, sessions)})
    with sessions() as session:
        for i in range(3):
            organisations.create_organisation(session, SYSTEM, OrganisationInput(
                name=f"命令行测试{i}", kind="provider", region_code="320500"))

    ok = _run(committed_database_url, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "3 events verified" in ok.stdout

    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor_label = 'intruder' WHERE seq = 2"))
    broken = _run(committed_database_url, tmp_path)
    engine.dispose()
    assert broken.returncode == 1
    assert "event 2" in broken.stderr and "altered" in broken.stderr
