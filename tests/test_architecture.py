"""The boundaries cannot decay silently (issue 10, item 5): mypy on kaifang/ and the import-linter contracts of
pyproject.toml run with the suite, and every package of kaifang/ has its place in those contracts."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Packages with models that are shared mechanisms, not domains (ARCHITECTURE.md: Domains).
NOT_DOMAINS = {"workflow", "web"}


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def _top_level() -> set[str]:
    """Every package and module directly under kaifang/."""
    names = {p.name for p in (ROOT / "kaifang").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    names |= {p.stem for p in (ROOT / "kaifang").glob("*.py") if p.stem != "__init__"}
    return names


def _domains() -> set[str]:
    return {name for name in _top_level() if (ROOT / "kaifang" / name / "models.py").exists()} - NOT_DOMAINS


def test_mypy_passes_on_kaifang() -> None:
    """mypy with the configuration of pyproject.toml ([tool.mypy]: files = kaifang)."""
    result = _run(str(BIN / "python"), "-m", "mypy")
    if result.returncode:
        errors = "".join(line for line in result.stdout.splitlines(keepends=True) if ": note: " not in line)
        pytest.fail(f"mypy found errors:\n{errors}{result.stderr}", pytrace=False)


def test_import_contracts_are_kept() -> None:
    """lint-imports with the contracts of pyproject.toml ([tool.importlinter])."""
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    if result.returncode:
        report = result.stdout[result.stdout.find("Contracts"):]  # without the banner
        pytest.fail(f"import-linter contracts broken:\n{report}{result.stderr}", pytrace=False)


def test_every_package_of_kaifang_has_a_layer() -> None:
    layered = set()
    for layer in _contracts()["layers"]["layers"]:
        for part in layer.replace("|", ":").split(":"):
            layered.add(part.strip().strip("()").removeprefix("kaifang."))
    missing = _top_level() - layered
    assert not missing, f"add these to the 'layers' contract in pyproject.toml: {sorted(missing)}"


def test_every_domain_is_guarded() -> None:
    """A new domain is used only through its package, and its tests use no other domain's models."""
    contracts = _contracts()
    domains = _domains()
    through_package = contracts["through-package"]
    unguarded = {d for d in domains if f"kaifang.{d}.*" not in through_package["forbidden_modules"]}
    unguarded |= {d for d in domains if f"kaifang.{d}" not in through_package["source_modules"]}
    assert not unguarded, f"add these domains to the 'through-package' contract: {sorted(unguarded)}"
    tested = {d for d in domains if (ROOT / "tests" / d / "__init__.py").exists()}
    missing = sorted(d for d in tested if f"tests-{d}" not in contracts)
    assert not missing, f"add a contract tests-<domain> for {missing}"
    for d in tested:
        expected = {f"kaifang.{other}.models" for other in domains - {d}}
        assert set(contracts[f"tests-{d}"]["forbidden_modules"]) == expected, f"tests-{d}: forbid {sorted(expected)}"
