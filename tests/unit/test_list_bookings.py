from __future__ import annotations

from datetime import timedelta

from src.application.use_cases.bookings import ListBookings
from src.domain.booking import BookingStatus
from tests.unit.conftest import World


async def _seed(world: World) -> int:
    maria = await world.user(code="ABC23456")
    other = await world.user("olga@example.com", code="QWE23456")
    now = world.clock.now()
    code = "Код клиента: ABC23456"
    rows = [
        (1, BookingStatus.CONFIRMED, now + timedelta(days=3), code),
        (2, BookingStatus.PENDING, now + timedelta(hours=2), code),
        (3, BookingStatus.COMPLETED, now + timedelta(days=1), code),  # not upcoming: completed
        (4, BookingStatus.CANCELLED, now + timedelta(days=2), code),
        (5, BookingStatus.PENDING, now - timedelta(minutes=1), code),  # already started
        (6, BookingStatus.PENDING, now + timedelta(days=1), "Код клиента: QWE23456"),  # Olga's
        (7, BookingStatus.PENDING, now, code),  # exactly now counts
    ]
    for rid, status, at, comment in rows:
        await world.ingest.one(world.record(rid, status=status, appointment_at=at, comment=comment))
    assert other.id != maria.id
    return maria.id


async def test_upcoming_only_pending_confirmed_from_now_nearest_first(world: World) -> None:
    uid = await _seed(world)
    page = await ListBookings(world.uow_factory, world.clock)(uid, upcoming_only=True)
    assert [b.record_id for b in page.items] == [7, 2, 1]
    assert page.total == 3


async def test_status_filter(world: World) -> None:
    uid = await _seed(world)
    lb = ListBookings(world.uow_factory, world.clock)
    pending = await lb(uid, upcoming_only=True, status=BookingStatus.PENDING)
    assert [b.record_id for b in pending.items] == [7, 2]
    confirmed = await lb(uid, upcoming_only=True, status=BookingStatus.CONFIRMED)
    assert [b.record_id for b in confirmed.items] == [1]
    completed_upcoming = await lb(uid, upcoming_only=True, status=BookingStatus.COMPLETED)
    assert completed_upcoming.items == []
    completed = await lb(uid, status=BookingStatus.COMPLETED)
    assert [b.record_id for b in completed.items] == [3]


async def test_pagination_and_only_own_bookings(world: World) -> None:
    uid = await _seed(world)
    lb = ListBookings(world.uow_factory, world.clock)
    everything = await lb(uid)
    assert everything.total == 6 and 6 not in {b.record_id for b in everything.items}
    page = await lb(uid, upcoming_only=True, limit=2, offset=1)
    assert [b.record_id for b in page.items] == [2, 1]
    assert (page.total, page.limit, page.offset) == (3, 2, 1)
