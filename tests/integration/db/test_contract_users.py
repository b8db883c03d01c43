"""UserRepository contract: fakes, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import pytest

from src.application.errors import DuplicateEmail
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.users import NewUser
from src.domain.user import Role
from tests.integration.db.helpers import add_user


async def test_add_then_get_by_id_and_by_email_any_case(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        user = await uow.users.add(
            NewUser(
                email="maria@example.com",
                password_hash="argon2$x",
                role=Role.ADMIN,
                phone="+7 916 555-12-34",
                phone_key="9165551234",
                name="Maria",
            )
        )
        await uow.commit()
    async with uow_factory() as uow:
        by_id = await uow.users.get(user.id)
        by_email = await uow.users.get_by_email("Maria@Example.COM")
        missing = await uow.users.get(user.id + 1000)
    assert by_id == by_email == user
    assert (user.email, user.role, user.phone_key, user.name) == (
        "maria@example.com", Role.ADMIN, "9165551234", "Maria",
    )  # fmt: skip
    assert user.unique_code is None
    assert user.created_at is not None and user.created_at.tzinfo is not None
    assert missing is None


async def test_duplicate_email_in_any_case_raises(uow_factory: UnitOfWorkFactory) -> None:
    await add_user(uow_factory, "maria@example.com")
    async with uow_factory() as uow:
        with pytest.raises(DuplicateEmail):
            await uow.users.add(NewUser(email="MARIA@example.com", password_hash="h"))
        # The transaction is still usable after the refusal.
        other = await uow.users.add(NewUser(email="olga@example.com", password_hash="h"))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.users.get(other.id) is not None


async def test_set_unique_code_only_fills_a_missing_code(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    olga = await add_user(uow_factory, "olga@example.com")
    async with uow_factory() as uow:
        assert await uow.users.set_unique_code(maria.id, "ABC23456") is True
        # Someone else's code: refused.
        assert await uow.users.set_unique_code(olga.id, "ABC23456") is False
        # Maria keeps her first code.
        assert await uow.users.set_unique_code(maria.id, "XYZ23456") is True
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.users.get(maria.id)).unique_code == "ABC23456"  # type: ignore[union-attr]
        assert (await uow.users.get(olga.id)).unique_code is None  # type: ignore[union-attr]


async def test_ids_without_code_in_id_order_with_limit(uow_factory: UnitOfWorkFactory) -> None:
    users = [await add_user(uow_factory, f"u{i}@example.com") for i in range(5)]
    async with uow_factory() as uow:
        await uow.users.set_unique_code(users[1].id, "ABC23456")
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.users.ids_without_code(3) == [users[0].id, users[2].id, users[3].id]
        assert await uow.users.ids_without_code(10) == [u.id for u in users if u is not users[1]]


async def test_find_contacts_lists_every_owner_of_a_shared_phone(
    uow_factory: UnitOfWorkFactory,
) -> None:
    a = await add_user(uow_factory, "a@example.com", phone_key="9165551234", code="AAAA2222")
    b = await add_user(
        uow_factory, "b@example.com", phone_key="9165551234", code="BBBB3333", verified=False
    )
    c = await add_user(uow_factory, "c@example.com", phone_key="9031112233")
    async with uow_factory() as uow:
        found = await uow.users.find_contacts(
            ["AAAA2222", "BBBB3333", "CCCC4444"],
            ["a@example.com", "c@example.com", "x@y.z"],
            ["9165551234", "9031112233", "0000000000"],
        )
    assert found.by_code == {"AAAA2222": a.id, "BBBB3333": b.id}
    assert found.by_email == {"a@example.com": [a.id], "c@example.com": [c.id]}
    # A shared phone lists every owner, in id order: the caller refuses to guess.
    assert found.by_phone == {"9165551234": [a.id, b.id], "9031112233": [c.id]}


async def test_find_contacts_is_the_three_lookups_in_one(uow_factory: UnitOfWorkFactory) -> None:
    a = await add_user(uow_factory, "A@example.com", phone_key="9165551234", code="AAAA2222")
    b = await add_user(
        uow_factory, "b@example.com", phone_key="9165551234", code="BBBB3333", verified=False
    )
    async with uow_factory() as uow:
        found = await uow.users.find_contacts(
            ["AAAA2222", "CCCC4444"], ["a@example.com", "x@y.z"], ["9165551234", "0000000000"]
        )
        only_phones = await uow.users.find_contacts([], [], ["9165551234"])
        nothing = await uow.users.find_contacts([], [], [])
    assert found.by_code == {"AAAA2222": a.id}
    assert found.by_email == {"a@example.com": [a.id]}
    assert found.by_phone == {"9165551234": [a.id, b.id]}
    assert (only_phones.by_code, only_phones.by_email) == ({}, {})
    assert only_phones.by_phone == {"9165551234": [a.id, b.id]}
    assert (nothing.by_code, nothing.by_email, nothing.by_phone) == ({}, {}, {})
