"""Which unique index a write violated, by its name (PostgreSQL and SQLite): `ContactTaken`
is decided by the index, not by words in the driver's message."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from src.adapters.db.executor import violated_unique_index
from src.adapters.db.models import (
    VERIFIED_CONTACT_INDEXES,
    VERIFIED_PHONE_INDEX,
    UserRow,
    table,
    utcnow,
)
from src.adapters.db.uow import SqlUnitOfWorkFactory
from tests.integration.db.test_verified_contacts import AT, add

users = table(UserRow)


@pytest.fixture(params=["sqlite", "postgres"])
def sql_factory(request: pytest.FixtureRequest) -> SqlUnitOfWorkFactory:
    name = "pg_uow_factory" if request.param == "postgres" else "sqlite_uow_factory"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


async def _violation(factory: SqlUnitOfWorkFactory, statement) -> str | None:  # type: ignore[no-untyped-def]
    async with factory.engine.connect() as conn:
        with pytest.raises(IntegrityError) as caught:
            await conn.execute(statement)
    return violated_unique_index(caught.value, users)


async def test_a_verified_phone_taken_names_its_partial_index(
    sql_factory: SqlUnitOfWorkFactory,
) -> None:
    await add(sql_factory, "a@example.com", "9161112233", verified=True)
    b = await add(sql_factory, "b@example.com", "9161112233", verified=False)
    stmt = update(users).where(users.c.id == b).values(phone_verified_at=AT)
    assert await _violation(sql_factory, stmt) == VERIFIED_PHONE_INDEX


async def test_other_unique_indexes_are_named_and_are_not_a_verified_contact(
    sql_factory: SqlUnitOfWorkFactory,
) -> None:
    a = await add(sql_factory, "a@example.com", None, verified=False)
    b = await add(sql_factory, "b@example.com", None, verified=False)
    async with sql_factory.engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == a).values(unique_code="ABC23456"))
    same_code = update(users).where(users.c.id == b).values(unique_code="ABC23456")
    # An index over an expression (SQLite names it) and one over a column (SQLite lists the
    # column; the name comes from the table's indexes).
    now = utcnow()
    same_email = insert(users).values(
        email="A@example.com", password_hash="h", role="user", created_at=now, updated_at=now
    )
    assert await _violation(sql_factory, same_code) == "ix_users_unique_code"
    assert await _violation(sql_factory, same_email) == "ix_users_email_lower"
    assert not {"ix_users_unique_code", "ix_users_email_lower"} & VERIFIED_CONTACT_INDEXES


def test_anything_else_names_no_index() -> None:
    assert violated_unique_index(None, users) is None
    assert (
        violated_unique_index(ValueError("UNIQUE constraint failed: users.phone_key"), users)
        is None
    )
