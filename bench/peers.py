"""The peers, installed by the benchmark itself: Datasette and sqlite-utils from PyPI into their own venv
(``bench/.venv-peers``, versions pinned in ``requirements-peers.txt``), and the local PostgreSQL server for the
``COPY`` path (started the way ``.ci/run`` starts it when it is not answering)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from .common import BENCH, PEERS_BIN, PEERS_VENV, PG_DSN, log

REQUIREMENTS = BENCH / "requirements-peers.txt"


def ensure_peers() -> dict[str, str]:
    """Create or update the peers' venv when the pinned requirements changed. Returns the peers' versions."""
    stamp = PEERS_VENV / ".requirements.sha256"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == want and (PEERS_BIN / "datasette").exists()):
        log("installing the peers (Datasette, sqlite-utils) into bench/.venv-peers")
        if PEERS_VENV.exists():
            shutil.rmtree(PEERS_VENV)
        base = os.environ.get("KAIFANG_BENCH_PEERS_PYTHON") or shutil.which("python3") or sys.executable
        subprocess.run([base, "-m", "venv", str(PEERS_VENV)], check=True)
        pip = [str(PEERS_BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True, stderr=subprocess.DEVNULL)
        stamp.write_text(want)
    return peer_versions()


def peer_versions() -> dict[str, str]:
    code = ("import importlib.metadata as m, sqlite3, sys; "
            "print(m.version('datasette'), m.version('sqlite-utils'), sqlite3.sqlite_version, sys.version.split()[0])")
    out = subprocess.run([str(PEERS_BIN / "python"), "-c", code], capture_output=True, text=True, check=True)
    datasette, sqlite_utils, sqlite, python = out.stdout.split()
    return {"datasette": datasette, "sqlite-utils": sqlite_utils, "sqlite (peers)": sqlite, "python (peers)": python}


def _pg_answers() -> bool:
    try:
        with psycopg.connect(f"{PG_DSN}/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def ensure_postgres() -> str:
    """Make sure the local PostgreSQL answers (start its cluster if not, as CI does). Returns its version."""
    if not _pg_answers():
        log("PostgreSQL is not answering; starting the local cluster")
        clusters = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
        if clusters:
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[0].name, "main", "start"],
                           check=False)
        for _ in range(30):
            if _pg_answers():
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"PostgreSQL at {PG_DSN} is unreachable: the COPY peer and the catalog search on "
                               "PostgreSQL need it")
    with psycopg.connect(f"{PG_DSN}/postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def create_database(name: str) -> str:
    with psycopg.connect(f"{PG_DSN}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_DSN}/{name}"


def drop_database(name: str) -> None:
    try:
        with psycopg.connect(f"{PG_DSN}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as exc:
        log(f"could not drop database {name}: {exc}")
