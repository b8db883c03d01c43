"""The repository contract suite runs every test on the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from src.application.ports.uow import UnitOfWorkFactory
from tests.fakes.uow import FakeUnitOfWorkFactory


@pytest.fixture(params=["fake", "sqlite", "postgres"])
def uow_factory(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """Empty storage behind the same ports: the in-memory fakes or a real database."""
    if request.param == "fake":
        return FakeUnitOfWorkFactory()
    name = "pg_uow_factory" if request.param == "postgres" else "sqlite_uow_factory"
    return request.getfixturevalue(name)
