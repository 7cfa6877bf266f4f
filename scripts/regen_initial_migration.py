"""Regenerate migration 0001 from the models (allowed only until the first production release).

Usage: .venv/bin/python scripts/regen_initial_migration.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from kaifang.migrate import MIGRATIONS, alembic_config

target = MIGRATIONS / "versions" / "0001_initial.py"
with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{Path(tmp) / 'empty.db'}"
    cfg = alembic_config(url)
    cfg.set_main_option("version_locations", tmp)
    command.revision(cfg, message="initial", autogenerate=True, rev_id="0001", version_path=tmp,
                     head="base")
    generated = next(Path(tmp).glob("0001_*.py"))
    target.write_text(generated.read_text())
print(f"wrote {target}")
