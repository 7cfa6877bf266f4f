"""The schema comes from the migrations, and the migrations match the models (`alembic check`)."""

from sqlalchemy import inspect, select

from kaifang import migrate
from kaifang.accounts.models import Region


def test_alembic_check_finds_no_drift(settings, engine):
    migrate.check(settings.database_url)


def test_database_is_at_head(engine):
    assert migrate.is_at_head(engine)


def test_regions_are_suzhou_and_its_ten_county_level_units(session):
    regions = session.execute(select(Region).order_by(Region.sort_order)).scalars().all()
    assert regions[0].name == "苏州市" and regions[0].level == "city"
    assert {r.name for r in regions[1:]} == {"姑苏区", "虎丘区", "吴中区", "相城区", "吴江区", "苏州工业园区",
                                             "常熟市", "张家港市", "昆山市", "太仓市"}
    assert all(r.parent_code == "320500" for r in regions[1:])


def test_naming_convention_applies(engine):
    fks = inspect(engine).get_foreign_keys("membership")
    assert {fk["name"] for fk in fks} == {"fk_membership_org_id_organisation", "fk_membership_user_id_user_account"}


def test_code_passes_the_linter():
    """ruff keeps the style rules of pyproject.toml (imports sorted, no unused names, no bare mistakes)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "kaifang", "tests"], cwd=root, capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stdout[-3000:]
