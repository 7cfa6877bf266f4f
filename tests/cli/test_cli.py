"""The operator's command line, run as a real subprocess against its own database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "KAIFANG_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "KAIFANG_VAR_DIR": str(tmp_path / "var"), "KAIFANG_JOBS_BACKEND": "immediate"}

    def call(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kaifang.cli", *args], env={**env, **(extra_env or {})},
                              capture_output=True, text=True, timeout=120, check=False)

    assert call("migrate").returncode == 0
    return call


def test_calendar_deadline_A10_1(run):
    r = run("calendar", "deadline", "2025-09-30", "5")
    # 2025: Oct 1-8 off, Oct 11 (Sat) make-up: Oct 9, 10, 11, 13, 14.
    assert r.returncode == 0 and "2025-10-14" in r.stdout, r.stderr


def test_calendar_refuses_a_year_it_does_not_cover(run):
    r = run("calendar", "deadline", "2027-03-01", "5")
    assert r.returncode == 1 and "does not cover 2027" in r.stderr


def test_calendar_import_names_bad_lines_then_loads_a_year(run, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-01-01,holiday,元旦\n2027-02-31,holiday,x\n", encoding="utf-8")
    r = run("calendar", "import", str(bad))
    assert r.returncode == 1 and f"{bad}:2:" in r.stderr
    good = tmp_path / "2027.csv"
    good.write_text("2027-01-01,holiday,元旦\n2027-02-08,holiday,春节\n2027-02-06,workday,春节调休\n", encoding="utf-8")
    r = run("calendar", "import", str(good), "--declare-year", "2027")
    assert r.returncode == 0 and "3 overrides loaded; 2027 declared" in r.stdout, r.stderr
    r = run("calendar", "deadline", "2027-02-05", "1")
    assert r.returncode == 0 and "2027-02-06" in r.stdout, "the make-up Saturday counts"


def test_demo_load_and_refusal_in_production(run):
    r = run("demo", "load", "--accounts-only")
    assert r.returncode == 0 and "operator@demo.kaifang.cn" in r.stdout and "Kaifang-demo-2026" in r.stdout
    r = run("demo", "load", extra_env={"KAIFANG_ENV": "production", "KAIFANG_SECRET_KEY": "s"})
    assert r.returncode == 1 and "never loaded in production" in r.stderr


def test_create_operator(run):
    r = run("create-operator", "--email", "ops@example.cn", "--name", "运维", "--password", "Strong-pass-2026")
    assert r.returncode == 0, r.stderr
    r = run("create-operator", "--email", "ops@example.cn", "--name", "运维", "--password", "Strong-pass-2026")
    assert r.returncode == 1 and "already exists" in r.stderr


def test_calendar_import_and_declaration_land_together(run, tmp_path):
    """A failed declaration (no weekday holiday for 2027 in the file) rolls the imported overrides back too."""
    only_makeup = tmp_path / "makeup.csv"
    only_makeup.write_text("2027-02-06,workday,春节调休\n", encoding="utf-8")
    r = run("calendar", "import", str(only_makeup), "--declare-year", "2027")
    assert r.returncode == 1
    full = tmp_path / "full.csv"
    full.write_text("2027-02-06,workday,春节调休\n2027-02-08,holiday,春节\n", encoding="utf-8")
    r = run("calendar", "import", str(full), "--declare-year", "2027")
    assert r.returncode == 0 and "2 overrides loaded" in r.stdout, r.stderr
