"""Verified contacts in storage (issue 12): fakes, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.application.ports import NewUser, UnitOfWorkFactory
from tests.fakes import FakeUnitOfWorkFactory

AT = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)


async def add(factory: UnitOfWorkFactory, email: str, phone_key: str | None, verified: bool) -> int:
    async with factory() as uow:
        user = await uow.users.add(
            NewUser(
                email=email,
                password_hash="h",
                phone_key=phone_key,
                email_verified_at=AT if verified else None,
                phone_verified_at=AT if verified and phone_key else None,
            )
        )
        await uow.commit()
    return user.id


async def test_only_verified_contacts_are_found(uow_factory: UnitOfWorkFactory) -> None:
    stranger = await add(uow_factory, "client@example.com", "9161112233", verified=False)
    owner = await add(uow_factory, "owner@example.com", "9031112233", verified=True)
    async with uow_factory() as uow:
        verified = await uow.users.find_contacts(
            [], ["client@example.com", "owner@example.com"], ["9161112233", "9031112233"], True
        )
        anyone = await uow.users.find_contacts(
            [], ["client@example.com"], ["9161112233"], verified_only=False
        )
        user = await uow.users.get(owner)
    assert verified.by_email == {"owner@example.com": [owner]}
    assert verified.by_phone == {"9031112233": [owner]}
    assert anyone.by_email == {"client@example.com": [stranger]}
    assert anyone.by_phone == {"9161112233": [stranger]}
    assert user is not None and user.phone_verified_at is not None


async def test_a_phone_is_verified_by_one_member_at_a_time(
    uow_factory: UnitOfWorkFactory,
) -> None:
    if isinstance(uow_factory, FakeUnitOfWorkFactory):
        pytest.skip("the unique index is the database's")
    await add(uow_factory, "a@example.com", "9161112233", verified=True)
    await add(uow_factory, "b@example.com", "9161112233", verified=False)  # unverified: fine
    with pytest.raises(Exception) as caught:
        await add(uow_factory, "c@example.com", "9161112233", verified=True)
    assert "ix_users_verified_phone_key" in str(caught.value) or "UNIQUE" in str(caught.value)


async def test_trust_contacts_marks_all_but_shared_phones(uow_factory: UnitOfWorkFactory) -> None:
    a = await add(uow_factory, "a@example.com", "9161112233", verified=False)
    b = await add(uow_factory, "b@example.com", "9161112233", verified=False)
    c = await add(uow_factory, "c@example.com", "9030000001", verified=False)
    d = await add(uow_factory, "d@example.com", None, verified=False)
    async with uow_factory() as uow:
        counts = await uow.users.trust_contacts(AT)
        await uow.commit()
    assert counts == (4, 1, 2, 1)
    async with uow_factory() as uow:
        users = {u: await uow.users.get(u) for u in (a, b, c, d)}
    assert all(u is not None and u.email_verified_at is not None for u in users.values())
    phones = {uid: u.phone_verified_at is not None for uid, u in users.items() if u}
    assert phones == {a: False, b: False, c: True, d: False}
