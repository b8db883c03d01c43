"""Verified contacts in storage (issue 12): fakes, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.users import NewUser
from tests.fakes.uow import FakeUnitOfWorkFactory

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
        counts = await uow.users.trust_contacts(AT, datetime.now(UTC) + timedelta(seconds=1))
        await uow.commit()
    assert counts == (4, 1, 2, 1)
    async with uow_factory() as uow:
        users = {u: await uow.users.get(u) for u in (a, b, c, d)}
    assert all(u is not None and u.email_verified_at is not None for u in users.values())
    phones = {uid: u.phone_verified_at is not None for uid, u in users.items() if u}
    assert phones == {a: False, b: False, c: True, d: False}


async def test_trust_contacts_leaves_accounts_created_after_the_cutoff(
    uow_factory: UnitOfWorkFactory,
) -> None:
    old = await add(uow_factory, "old@example.com", "9030000001", verified=False)
    await asyncio.sleep(0.01)
    cutoff = datetime.now(UTC)
    await asyncio.sleep(0.01)
    new = await add(uow_factory, "new@example.com", "9030000002", verified=False)
    async with uow_factory() as uow:
        counts = await uow.users.trust_contacts(AT, cutoff)
        await uow.commit()
    assert counts == (1, 1, 0, 0)
    async with uow_factory() as uow:
        trusted, left = await uow.users.get(old), await uow.users.get(new)
    assert trusted is not None and trusted.email_verified and trusted.phone_verified
    assert left is not None and not left.email_verified and not left.phone_verified


async def test_unmatched_bookings_are_found_by_contact_whatever_the_format(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Retroactive linking's lookup: every unlinked booking with the email (any case; the
    mapping stores it trimmed) or the phone (any format, by its last 10 digits); linked ones
    and other contacts are left out."""
    from tests.integration.db.helpers import add_user, booking, upsert

    owner = await add_user(uow_factory, "owner@example.com")
    rows = [
        booking(1, client_phone="+7 (916) 111-22-33", client_email=None, comment=""),
        booking(2, client_phone="89161112233", client_email=None, comment=""),
        booking(3, client_phone=None, client_email="Client@Example.COM", comment=""),
        booking(4, client_phone="+7 916 999-22-33", client_email="x@example.com", comment=""),
        booking(5, client_phone="9161112233", client_email=None, comment="", user_id=owner.id),
        booking(6, client_phone="112233", client_email=None, comment=""),
    ]
    ids = await upsert(uow_factory, *rows)
    async with uow_factory() as uow:
        by_phone = await uow.bookings.lock_unmatched_by_contact(None, "9161112233")
        by_email = await uow.bookings.lock_unmatched_by_contact("client@example.com", None)
        both = await uow.bookings.lock_unmatched_by_contact("client@example.com", "9161112233")
    key = {v: k.record_id for k, v in ids.items()}
    assert [key[b.id] for b in by_phone] == [1, 2]  # type: ignore[index]
    assert [key[b.id] for b in by_email] == [3]  # type: ignore[index]
    assert [key[b.id] for b in both] == [1, 2, 3]  # type: ignore[index]


async def test_verification_codes_storage(uow_factory: UnitOfWorkFactory) -> None:
    from datetime import timedelta

    from src.domain.verification import Purpose, VerificationCode

    a = await add(uow_factory, "a@example.com", "9161112233", verified=False)
    b = await add(uow_factory, "b@example.com", "9161112233", verified=False)

    def code(user: int, purpose: Purpose, contact: str, minutes: int) -> VerificationCode:
        at = AT + timedelta(minutes=minutes)
        return VerificationCode(purpose, user, contact, "f" * 64, at, at + timedelta(minutes=10))

    async with uow_factory() as uow:
        await uow.verification_codes.add(code(a, Purpose.PHONE, "9161112233", 0))
        latest = await uow.verification_codes.add(code(a, Purpose.PHONE, "9161112233", 1))
        await uow.verification_codes.add(code(a, Purpose.EMAIL, "a@example.com", 2))
        await uow.verification_codes.add(code(b, Purpose.PHONE, "9161112233", 3))
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.verification_codes.lock_latest(a, Purpose.PHONE)
        assert found is not None and found.id == latest.id
        found.attempts, found.consumed_at = 2, AT
        await uow.verification_codes.save(found)
        await uow.commit()
    async with uow_factory() as uow:
        again = await uow.verification_codes.lock_latest(a, Purpose.PHONE)
        recent = await uow.verification_codes.of_user_since(
            a, Purpose.PHONE, AT + timedelta(minutes=1)
        )
        none = await uow.verification_codes.lock_latest(b, Purpose.PASSWORD_RESET)
    assert again is not None and (again.attempts, again.consumed_at) == (2, AT)
    assert [c.id for c in recent] == [latest.id]
    assert none is None
    async with uow_factory() as uow:
        await uow.verification_codes.delete_before(a, AT + timedelta(minutes=2))
        await uow.commit()
        left = [
            (c.user_id, c.purpose.value)
            for user, purpose in ((a, Purpose.PHONE), (a, Purpose.EMAIL), (b, Purpose.PHONE))
            for c in await uow.verification_codes.of_user_since(user, purpose, AT)
        ]
    assert left == [(a, "email"), (b, "phone")]


async def test_mark_verified_refuses_a_contact_another_member_verified(
    uow_factory: UnitOfWorkFactory,
) -> None:
    from src.application.errors import ContactTaken
    from src.domain.verification import Purpose

    await add(uow_factory, "a@example.com", "9161112233", verified=True)
    b = await add(uow_factory, "b@example.com", "9161112233", verified=False)
    async with uow_factory() as uow:
        with pytest.raises(ContactTaken):
            await uow.users.mark_verified(b, Purpose.PHONE, AT)
    async with uow_factory() as uow:
        await uow.users.mark_verified(b, Purpose.EMAIL, AT)  # the email is b's own
        await uow.users.set_phone(b, "+7 903 000-00-01", "9030000001")
        await uow.users.mark_verified(b, Purpose.PHONE, AT)
        await uow.commit()
        user = await uow.users.get(b)
    assert user is not None and user.phone_key == "9030000001"
    assert user.email_verified_at is not None and user.phone_verified_at is not None
