"""Query budgets on the busiest pages (issue 10, item 7): each stays within a number of SQL statements per
request, so that an N+1 query (a relationship loaded per row of a list) fails here instead of in production.

The budgets were set a little above what the pages took when they were written, with more rows than a page of
one would need (a dozen catalog entries, several data items and grants). Raise one only with a reason; a page
that needs far fewer statements after a change may lower it. A failure prints every statement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kaifang.config import Settings
from tests.access.factories import conditional_register, in_force, people
from tests.catalog.factories import entry_input, publish_as_system
from tests.helpers import count_queries
from tests.personas import Persona, World, login

# page -> the most SQL statements one request may run (transaction control not counted). Measured when set
# (SQLite and PostgreSQL alike): catalog 7, dataset 16 (anonymous) and 24 (grantee: the entry and its items are
# read four times, by the page and by the access decision), application 16 (applicant) and 16 (console).
BUDGETS = {
    "catalog": 9,
    "dataset, anonymous": 18,
    "dataset, grantee": 27,
    "application, applicant": 18,
    "application, console": 18,
}


def _measure(client: TestClient, connection: Connection, path: str) -> tuple[int, str]:
    """The statements of one request for ``path``, after a first request has warmed what a page caches."""
    assert client.get(path).status_code == 200
    with count_queries(connection) as counted:
        response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    return counted.count, str(counted)


def _within(page: str, count: int, statements: str) -> None:
    print(f"{page}: {count} SQL statements (budget {BUDGETS[page]})")
    assert count <= BUDGETS[page], f"{page} ran {count} statements, over its budget of {BUDGETS[page]}:\n{statements}"


@pytest.fixture
def granted(session: Session, settings: Settings, world: World, tmp_path: Path):
    """A conditionally open register of the city provider with data, and the company user's application for it
    in force (agreement signed, grants issued)."""
    entry = conditional_register(session, settings, world, tmp_path)
    app = in_force(session, people(session, world), entry.id)
    return entry, app


def test_the_catalog_page(client: TestClient, connection: Connection, session: Session, world: World) -> None:
    for n in range(12):
        publish_as_system(session, world.orgs["agency" if n % 2 else "other_agency"], entry_input(
            name=f"苏州市公交线路信息{n}", tags=["公交", f"线路{n}"], formats=["csv", "json", "xlsx"]))
    _within("catalog", *_measure(client, connection, "/catalog"))


def test_the_dataset_page_for_anyone(client: TestClient, connection: Connection, session: Session,
                                     settings: Settings, world: World, tmp_path: Path) -> None:
    entry = conditional_register(session, settings, world, tmp_path, open_class="unconditional", name="苏州市企业名录")
    _within("dataset, anonymous", *_measure(client, connection, f"/datasets/{entry.id}"))


def test_the_dataset_page_for_a_grantee(client: TestClient, connection: Connection, world: World, granted) -> None:
    entry, _app = granted
    login(client, world.emails[Persona.COMPANY])
    _within("dataset, grantee", *_measure(client, connection, f"/datasets/{entry.id}"))


def test_the_application_page_of_the_applicant(client: TestClient, connection: Connection, world: World,
                                               granted) -> None:
    _entry, app = granted
    login(client, world.emails[Persona.COMPANY])
    _within("application, applicant", *_measure(client, connection, f"/access/{app.id}"))


def test_the_application_page_of_the_console(client: TestClient, connection: Connection, world: World,
                                             granted) -> None:
    _entry, app = granted
    login(client, world.emails[Persona.PROVIDER_STAFF])
    _within("application, console", *_measure(client, connection, f"/console/access/{app.id}"))
