"""The seed's `generate-unique-codes` on real databases: fills missing codes only, idempotent."""

from __future__ import annotations

import pytest

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.users import NewUser
from src.application.use_cases.client_codes import GenerateUniqueCodes
from src.domain.client_codes import generate_client_code, is_valid_code
from tests.fakes.client_codes import FakeClientCodes


@pytest.fixture(params=["postgres", "sqlite"])
def sql_uow_factory(request: pytest.FixtureRequest) -> SqlUnitOfWorkFactory:
    name = "pg_uow_factory" if request.param == "postgres" else "sqlite_uow_factory"
    return request.getfixturevalue(name)


async def _codes(factory: SqlUnitOfWorkFactory, ids: list[int]) -> list[str | None]:
    async with factory() as uow:
        return [(await uow.users.get(i)).unique_code for i in ids]  # type: ignore[union-attr]


async def test_second_run_fills_nothing(sql_uow_factory: SqlUnitOfWorkFactory) -> None:
    async with sql_uow_factory() as uow:
        kept = await uow.users.add(NewUser("kept@example.com", "h", unique_code="KEEP2345"))
        ids = [(await uow.users.add(NewUser(f"u{i}@example.com", "h"))).id for i in range(600)]
        await uow.commit()

    assert await GenerateUniqueCodes(sql_uow_factory, generate_client_code, batch=250)() == 600
    assert await GenerateUniqueCodes(sql_uow_factory, generate_client_code, batch=250)() == 0

    codes = await _codes(sql_uow_factory, ids)
    assert all(c is not None and is_valid_code(c) for c in codes)
    assert len(set(codes)) == len(ids)
    assert await _codes(sql_uow_factory, [kept.id]) == ["KEEP2345"]


async def test_a_colliding_code_is_redrawn(sql_uow_factory: SqlUnitOfWorkFactory) -> None:
    async with sql_uow_factory() as uow:
        await uow.users.add(NewUser("taken@example.com", "h", unique_code="TAKEN234"))
        user = await uow.users.add(NewUser("new@example.com", "h"))
        await uow.commit()
    # The generator first offers the taken code, then a free one.
    assert (
        await GenerateUniqueCodes(sql_uow_factory, FakeClientCodes("TAKEN234", "FREE2345"))() == 1
    )
    assert await _codes(sql_uow_factory, [user.id]) == ["FREE2345"]
