"""``reach()``: the SQL form of "the organisations this principal reaches", the same rule as ``Principal.can``."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from kaifang.security import SYSTEM, OrgRef, Permission, Principal, Role, RoleGrant, reach

ROWS = [(1, 10, "320505"), (2, 11, "320505"), (3, 12, "320506"), (4, 13, "320500")]
things = Table("things", MetaData(), Column("id", Integer, primary_key=True), Column("org_id", Integer),
               Column("region", String))


def _reached(principal: Principal, perm: Permission, with_region: bool = True) -> set[int]:
    engine = create_engine("sqlite://")
    things.metadata.create_all(engine)
    with engine.begin() as con:
        con.execute(insert(things), [{"id": i, "org_id": o, "region": r} for i, o, r in ROWS])
        cond = reach(principal, perm, things.c.org_id, things.c.region if with_region else None)
        return set(con.execute(select(things.c.id).where(cond)).scalars())


def _can(principal: Principal, perm: Permission) -> set[int]:
    return {i for i, o, r in ROWS if principal.can(perm, OrgRef(o, r))}


PEOPLE = {
    "anonymous": Principal(None, "anonymous"),
    "user": Principal(1, "u", frozenset({RoleGrant(Role.USER)})),
    "staff": Principal(2, "s", frozenset({RoleGrant(Role.PROVIDER_STAFF, 10, "320505")})),
    "district": Principal(3, "d", frozenset({RoleGrant(Role.DISTRICT_BUREAU, 20, "320505")})),
    "city": Principal(4, "c", frozenset({RoleGrant(Role.CITY_BUREAU, 21, "320500")})),
    "operator": Principal(5, "o", frozenset({RoleGrant(Role.OPERATOR, 22, "320500")})),
    "system": SYSTEM,
}


def test_reach_is_the_sql_form_of_can() -> None:
    for name, principal in PEOPLE.items():
        for perm in (Permission.CATALOG_READ, Permission.STAFF_READ, Permission.ACCESS_READ):
            assert _reached(principal, perm) == _can(principal, perm), (name, perm)


def test_the_district_bureau_reaches_its_region_and_a_provider_its_own_organisation() -> None:
    assert _reached(PEOPLE["district"], Permission.CATALOG_READ) == {1, 2}
    assert _reached(PEOPLE["staff"], Permission.CATALOG_READ) == {1}
    assert _reached(PEOPLE["user"], Permission.CATALOG_READ) == set()


def test_without_a_region_column_only_named_organisations_are_reached() -> None:
    assert _reached(PEOPLE["district"], Permission.CATALOG_READ, with_region=False) == set()
    assert _reached(PEOPLE["staff"], Permission.CATALOG_READ, with_region=False) == {1}
