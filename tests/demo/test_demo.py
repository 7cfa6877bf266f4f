"""Demo data: a realistic Suzhou set-up, idempotent, never in production."""

import pytest
from sqlalchemy import func, select

from kaifang.accounts.models import Membership, Organisation, User
from kaifang.demo import load_demo
from kaifang.security import Role


def test_demo_has_every_role_and_twelve_providers_A17_1(session, settings):
    accounts = load_demo(session, settings)
    assert session.execute(select(func.count()).where(Organisation.kind == "provider")).scalar_one() >= 12
    domains = set(session.execute(select(Organisation.domain).where(Organisation.kind == "provider")).scalars())
    assert len(domains) == 16, "every priority domain of A17.1 has a provider"
    roles = set(session.execute(select(Membership.role)).scalars())
    assert roles == {r.value for r in Role} - {"user"}
    bureaus = session.execute(select(func.count()).where(Organisation.kind == "bureau")).scalar_one()
    assert bureaus == 11, "the city bureau and one per county-level unit"
    assert {a.email for a in accounts} <= set(session.execute(select(User.email)).scalars())


def test_demo_loads_twice_without_duplicates(session, settings):
    load_demo(session, settings)
    users = session.execute(select(func.count()).select_from(User)).scalar_one()
    load_demo(session, settings)
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == users


def test_demo_is_refused_in_production(session, settings):
    with pytest.raises(RuntimeError, match="never loaded in production"):
        load_demo(session, settings.model_copy(update={"env": "production"}))


def test_demo_catalog_has_forty_entries_with_data_A17_1(session, sessions, settings):
    """Issue 3 demo: at least 40 entries across the priority domains, data in a GBK CSV and an XLSX among
    others, some conditional and some not open."""
    from kaifang.catalog.models import CatalogEntry
    from kaifang.datastore.models import DatasetVersion, IngestRun
    from kaifang.demo.catalog import load_demo_catalog

    load_demo(session, settings)
    assert load_demo_catalog(session, sessions, settings) >= 40
    entries = session.execute(select(CatalogEntry)).scalars().all()
    assert {e.status for e in entries} == {"published"}
    assert {e.open_class for e in entries} == {"unconditional", "conditional", "not_open"}
    assert len({e.domain for e in entries}) == 16
    runs = session.execute(select(IngestRun)).scalars().all()
    assert runs and all(r.state == "succeeded" for r in runs), [r.problems_json for r in runs if r.state != "succeeded"]
    versions = session.execute(select(DatasetVersion)).scalars().all()
    assert {v.source_format for v in versions} >= {"csv", "xlsx"}
    assert "gb18030" in {v.source_encoding for v in versions}
    assert load_demo_catalog(session, sessions, settings) == 0, "loading again adds nothing"

    # A20-A23: the demo company holds an agreement in force whose grant really reads the data.
    from kaifang.access import Delivery
    from kaifang.access.models import AccessApplication
    from kaifang.datastore.reading import open_for_reading
    from kaifang.demo.access import IN_FORCE, load_demo_access
    from tests.access.factories import people_by_email

    assert load_demo_access(session) == 3
    assert load_demo_access(session) == 0, "loading again adds nothing"
    states = sorted(session.execute(select(AccessApplication.status)).scalars())
    assert states == ["accepted", "in_force", "submitted"]
    company = people_by_email(session, "company@demo.kaifang.cn")
    entry = session.execute(select(CatalogEntry).where(CatalogEntry.name == IN_FORCE)).scalar_one()
    readable = open_for_reading(session, company, entry.id, Delivery.API, "test").unwrap()
    assert readable.projection.columns == ("name", "industry", "district", "staff")
