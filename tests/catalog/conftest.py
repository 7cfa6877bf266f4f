"""Catalog fixtures (the shared ones are in tests/conftest.py and tests/personas.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.catalog.factories import Cast, make_cast


@pytest.fixture
def cast(session: Session) -> Cast:
    return make_cast(session)
