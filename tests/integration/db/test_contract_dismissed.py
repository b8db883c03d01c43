"""Dismissed clients ("not a member") and the unlink of a booking: fakes, SQLite and
PostgreSQL behave the same."""

from __future__ import annotations

from src.application.ports.bookings import BookingQuery
from src.application.ports.uow import UnitOfWorkFactory
from src.domain.booking import BookingKey, MatchMethod
from src.domain.dismissed import ClientKey, ClientKind, DismissedClient
from tests.integration.db.helpers import COMPANY, T0, add_user, booking, stored, upsert

PHONE = ClientKey(ClientKind.PHONE, "9165551234")
EMAIL = ClientKey(ClientKind.EMAIL, "olga@example.com")


async def _records(factory: UnitOfWorkFactory, q: BookingQuery) -> set[int]:
    async with factory() as uow:
        return {b.record_id for b in (await uow.bookings.query(q)).items}


async def test_dismissed_clients_leave_the_unmatched_list(uow_factory: UnitOfWorkFactory) -> None:
    await upsert(
        uow_factory,
        booking(1),  # +7 916 555-12-34
        booking(2, client_phone="8 (916) 555 12 34", client_email=None),
        booking(3, client_phone=None, client_email="Olga@Example.com"),
        booking(4, client_phone="+7 916 000-00-00", client_email="other@example.com"),
    )
    async with uow_factory() as uow:
        assert await uow.dismissed_clients.add(DismissedClient(PHONE, 7, T0))
        assert not await uow.dismissed_clients.add(DismissedClient(PHONE, 8, T0))  # once
        assert await uow.dismissed_clients.add(DismissedClient(EMAIL, 7, T0))
        await uow.commit()
    shown = BookingQuery(unmatched_only=True, dismissed=False)
    hidden = BookingQuery(unmatched_only=True, dismissed=True)
    assert await _records(uow_factory, shown) == {4}
    assert await _records(uow_factory, hidden) == {1, 2, 3}
    assert await _records(uow_factory, BookingQuery(unmatched_only=True)) == {1, 2, 3, 4}
    async with uow_factory() as uow:
        assert await uow.dismissed_clients.remove(PHONE)
        assert not await uow.dismissed_clients.remove(PHONE)
        await uow.commit()
    assert await _records(uow_factory, shown) == {1, 2, 4}


async def test_unlink_and_get_many(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory)
    olga = await add_user(uow_factory, "olga@example.com", verified=False)
    ids = await upsert(uow_factory, booking(1))
    booking_id = ids[BookingKey(COMPANY, 1)]
    async with uow_factory() as uow:
        await uow.bookings.relink(booking_id, maria.id, MatchMethod.MANUAL)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.bookings.unlink(booking_id, "phone …1234 matches no user")
        found = await uow.users.get_many([olga.id, maria.id, 999])
        await uow.commit()
    got = await stored(uow_factory, booking_id)
    assert got is not None
    assert (got.user_id, got.match_method, got.unmatched_reason) == (
        None, None, "phone …1234 matches no user",
    )  # fmt: skip
    assert {i: u.email for i, u in found.items()} == {
        maria.id: "maria@example.com", olga.id: "olga@example.com",
    }  # fmt: skip
