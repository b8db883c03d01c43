"""BookingRepository contract: fakes, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta, timezone
from decimal import Decimal

from src.application.ports.bookings import BookingQuery
from src.application.ports.uow import UnitOfWorkFactory
from src.domain.booking import DELETE_CLOCK_SKEW, BookingKey, BookingStatus, MatchMethod
from tests.integration.db.helpers import COMPANY, T0, add_user, booking, data, stored, upsert

KEY = BookingKey(COMPANY, 1)


async def test_upsert_inserts_and_round_trips_every_field(uow_factory: UnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    new = booking(
        1,
        services=(("Manicure", Decimal("2000.00")), ("Design", Decimal("499.99"))),
        price=Decimal("2499.99"),
        user_id=user.id,
        match_method=MatchMethod.CODE,
        # Given in Moscow time: stored and returned as the same instant.
        appointment_at=(T0 + timedelta(days=3)).astimezone(timezone(timedelta(hours=3))),
    )
    ids = await upsert(uow_factory, new, booking(2, deleted=True, status=BookingStatus.CANCELLED))
    got = await stored(uow_factory, ids[KEY])
    assert data(got) == data(new)
    assert (got.bonus_points, got.bonus_percent, got.bonus_basis, got.ledger_step) == (
        Decimal("0"), None, Decimal("0"), 0,
    )  # fmt: skip
    assert got.loyalty_bonuses_awarded is False
    assert set(ids) == {KEY, BookingKey(COMPANY, 2)}


async def test_upsert_returns_the_id_of_every_key_even_when_nothing_changes(
    uow_factory: UnitOfWorkFactory,
) -> None:
    first = await upsert(uow_factory, booking(1), booking(2))
    again = await upsert(
        uow_factory, booking(1, last_change_at=T0 - timedelta(hours=1)), booking(2)
    )
    assert again == first


async def test_older_version_changes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    ids = await upsert(uow_factory, booking(1, status=BookingStatus.CONFIRMED))
    older = booking(1, status=BookingStatus.PENDING, last_change_at=T0 - timedelta(seconds=1))
    await upsert(uow_factory, older)
    assert (await stored(uow_factory, ids[KEY])).status is BookingStatus.CONFIRMED


async def test_newer_version_replaces_the_data(uow_factory: UnitOfWorkFactory) -> None:
    ids = await upsert(uow_factory, booking(1))
    newer = booking(
        1,
        status=BookingStatus.COMPLETED,
        last_change_at=T0 + timedelta(microseconds=1),
        services=(("Pedicure", Decimal("3100.50")),),
        price=Decimal("3100.50"),
        comment="",
        client_email=None,
    )
    await upsert(uow_factory, newer)
    assert data(await stored(uow_factory, ids[KEY])) == data(newer)


async def test_freshness_compares_instants_not_text(uow_factory: UnitOfWorkFactory) -> None:
    """SQLite keeps datetimes as text: an offset or a microsecond must not fool it."""
    moscow = timezone(timedelta(hours=3))
    ids = await upsert(uow_factory, booking(1, last_change_at=T0 + timedelta(microseconds=500)))
    # 11:30 in Moscow is 08:30 UTC: older, although "11:30" > "09:00" as text.
    older = booking(
        1, comment="older", last_change_at=(T0 - timedelta(minutes=30)).astimezone(moscow)
    )
    await upsert(uow_factory, older)
    assert (await stored(uow_factory, ids[KEY])).comment == "Код клиента: ABC23456"
    same_second = booking(1, comment="same second, earlier microsecond", last_change_at=T0)
    await upsert(uow_factory, same_second)
    assert (await stored(uow_factory, ids[KEY])).comment == "Код клиента: ABC23456"
    newer = booking(
        1, comment="newer", last_change_at=(T0 + timedelta(seconds=1)).astimezone(moscow)
    )
    await upsert(uow_factory, newer)
    got = await stored(uow_factory, ids[KEY])
    assert got.comment == "newer"
    assert got.last_change_at == T0 + timedelta(seconds=1)


async def test_same_version_links_an_unlinked_booking(uow_factory: UnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    ids = await upsert(uow_factory, booking(1, unmatched_reason="no user with this email"))
    linked = booking(1, user_id=user.id, match_method=MatchMethod.EMAIL)
    await upsert(uow_factory, linked)
    got = await stored(uow_factory, ids[KEY])
    assert (got.user_id, got.match_method, got.unmatched_reason) == (
        user.id, MatchMethod.EMAIL, None,
    )  # fmt: skip


async def test_same_version_of_a_linked_booking_changes_nothing(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    ids = await upsert(uow_factory, booking(1, user_id=user.id, match_method=MatchMethod.CODE))
    await upsert(uow_factory, booking(1, comment="same time, other text"))
    got = await stored(uow_factory, ids[KEY])
    assert (got.comment, got.user_id) == ("Код клиента: ABC23456", user.id)


async def test_deletion_at_the_same_time_wins(uow_factory: UnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    ids = await upsert(uow_factory, booking(1, user_id=user.id, match_method=MatchMethod.CODE))
    await upsert(uow_factory, booking(1, deleted=True, status=BookingStatus.CANCELLED))
    got = await stored(uow_factory, ids[KEY])
    assert (got.deleted, got.status, got.user_id) == (True, BookingStatus.CANCELLED, user.id)
    # ...and a same-time undeleted version does not bring it back.
    await upsert(uow_factory, booking(1))
    assert (await stored(uow_factory, ids[KEY])).deleted is True


async def test_a_link_is_never_overwritten_by_an_upsert(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    olga = await add_user(uow_factory, "olga@example.com")
    ids = await upsert(uow_factory, booking(1, user_id=maria.id, match_method=MatchMethod.CODE))
    newer = booking(
        1,
        status=BookingStatus.CONFIRMED,
        last_change_at=T0 + timedelta(hours=1),
        user_id=olga.id,
        match_method=MatchMethod.PHONE,
        unmatched_reason="should not be written",
    )
    await upsert(uow_factory, newer)
    got = await stored(uow_factory, ids[KEY])
    assert got.status is BookingStatus.CONFIRMED
    assert (got.user_id, got.match_method, got.unmatched_reason) == (
        maria.id, MatchMethod.CODE, None,
    )  # fmt: skip


async def test_upsert_never_writes_loyalty_columns(uow_factory: UnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    ids = await upsert(uow_factory, booking(1, user_id=user.id, status=BookingStatus.COMPLETED))
    async with uow_factory() as uow:
        [locked] = await uow.bookings.lock_many([ids[KEY]])
        awarded = replace(
            locked,
            bonus_points=Decimal("75.00"),
            bonus_percent=Decimal("3.00"),
            bonus_basis=Decimal("2500.00"),
            ledger_step=1,
        )
        await uow.bookings.save_loyalty([awarded])
        await uow.commit()
    cancelled = booking(
        1,
        status=BookingStatus.CANCELLED,
        last_change_at=T0 + timedelta(hours=1),
        bonus_points=Decimal("0"),
        ledger_step=0,
    )
    await upsert(uow_factory, cancelled)
    got = await stored(uow_factory, ids[KEY])
    assert got.status is BookingStatus.CANCELLED
    assert (got.bonus_points, got.bonus_percent, got.bonus_basis, got.ledger_step) == (
        Decimal("75.00"), Decimal("3.00"), Decimal("2500.00"), 1,
    )  # fmt: skip
    assert got.loyalty_bonuses_awarded is True


async def test_one_batch_with_the_same_key_twice_keeps_the_freshest(
    uow_factory: UnitOfWorkFactory,
) -> None:
    newest = booking(1, status=BookingStatus.CONFIRMED, last_change_at=T0 + timedelta(seconds=5))
    ids = await upsert(uow_factory, newest, booking(1, status=BookingStatus.PENDING))
    assert (await stored(uow_factory, ids[KEY])).status is BookingStatus.CONFIRMED


async def test_get_many_returns_only_stored_keys(uow_factory: UnitOfWorkFactory) -> None:
    ids = await upsert(uow_factory, booking(1), booking(2), booking(3, company_id=COMPANY + 1))
    wanted = [KEY, BookingKey(COMPANY, 3), BookingKey(COMPANY + 1, 3), BookingKey(COMPANY, 99)]
    async with uow_factory() as uow:
        got = await uow.bookings.get_many(wanted)
        assert await uow.bookings.get_many([]) == {}
    assert set(got) == {KEY, BookingKey(COMPANY + 1, 3)}
    assert got[KEY].id == ids[KEY]


async def test_lock_many_returns_current_rows_in_id_order(uow_factory: UnitOfWorkFactory) -> None:
    ids = await upsert(uow_factory, booking(1), booking(2), booking(3))
    wanted = [*sorted(ids.values(), reverse=True), max(ids.values()) + 100]
    async with uow_factory() as uow:
        locked = await uow.bookings.lock_many(wanted)
    assert [b.id for b in locked] == sorted(ids.values())


async def test_save_loyalty_writes_the_loyalty_columns_only(uow_factory: UnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    ids = await upsert(uow_factory, booking(1, user_id=user.id), booking(2, user_id=user.id))
    async with uow_factory() as uow:
        locked = await uow.bookings.lock_many(ids.values())
        changed = [
            replace(b, bonus_points=Decimal(i), bonus_percent=Decimal("5.00"),
                    bonus_basis=Decimal("2500.00"), ledger_step=i, comment="not saved")
            for i, b in enumerate(locked, start=1)
        ]  # fmt: skip
        await uow.bookings.save_loyalty(changed)
        await uow.bookings.save_loyalty([])
        await uow.commit()
    for i, key in enumerate(sorted(ids, key=lambda k: ids[k]), start=1):
        got = await stored(uow_factory, ids[key])
        assert (got.bonus_points, got.bonus_percent, got.ledger_step) == (
            Decimal(i), Decimal("5.00"), i,
        )  # fmt: skip
        assert got.comment == "Код клиента: ABC23456"


async def test_relink_replaces_the_link(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    olga = await add_user(uow_factory, "olga@example.com")
    ids = await upsert(uow_factory, booking(1, user_id=maria.id, match_method=MatchMethod.EMAIL))
    async with uow_factory() as uow:
        await uow.bookings.relink(ids[KEY], olga.id, MatchMethod.MANUAL)
        await uow.commit()
    got = await stored(uow_factory, ids[KEY])
    assert (got.user_id, got.match_method, got.unmatched_reason) == (
        olga.id, MatchMethod.MANUAL, None,
    )  # fmt: skip


async def test_mark_deleted_cancels_and_keeps_the_newest_time(
    uow_factory: UnitOfWorkFactory,
) -> None:
    ids = await upsert(uow_factory, booking(1, status=BookingStatus.CONFIRMED), booking(2))
    later = T0 + timedelta(minutes=5)
    async with uow_factory() as uow:
        assert await uow.bookings.mark_deleted(KEY, later) == ids[KEY]
        # A deletion at the stored version's own time wins (as with full records), and so
        # does one received a moment "before" it (YClients' clock, rounded to the second).
        assert (
            await uow.bookings.mark_deleted(BookingKey(COMPANY, 2), T0 - DELETE_CLOCK_SKEW)
            == ids[BookingKey(COMPANY, 2)]
        )
        assert await uow.bookings.mark_deleted(BookingKey(COMPANY, 404), later) is None
        await uow.commit()
    first, second = (
        await stored(uow_factory, ids[KEY]),
        await stored(uow_factory, ids[BookingKey(COMPANY, 2)]),
    )
    assert (first.deleted, first.status, first.last_change_at) == (
        True, BookingStatus.CANCELLED, later,
    )  # fmt: skip
    assert (second.deleted, second.status, second.last_change_at) == (
        True, BookingStatus.CANCELLED, T0,
    )  # fmt: skip


async def test_delete_webhook_without_data_older_than_the_stored_version_changes_nothing(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """A delete (no `data`: only its receive time is known) replayed after a newer update."""
    newer = booking(1, status=BookingStatus.CONFIRMED, last_change_at=T0 + timedelta(hours=1))
    ids = await upsert(uow_factory, newer)
    async with uow_factory() as uow:
        assert await uow.bookings.mark_deleted(KEY, T0) is None
        await uow.commit()
    got = await stored(uow_factory, ids[KEY])
    assert (got.deleted, got.status, got.last_change_at) == (
        False, BookingStatus.CONFIRMED, newer.last_change_at,
    )  # fmt: skip


async def test_query_filters_orders_and_pages(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    olga = await add_user(uow_factory, "olga@example.com")
    now = T0 + timedelta(days=1)

    def at(days: float, record_id: int, **kw: object) -> object:
        return booking(record_id, appointment_at=now + timedelta(days=days), **kw)

    ids = await upsert(
        uow_factory,
        at(-2, 1, user_id=maria.id, status=BookingStatus.COMPLETED),  # past
        at(3, 2, user_id=maria.id, status=BookingStatus.CONFIRMED),
        at(1, 3, user_id=maria.id, status=BookingStatus.PENDING),
        at(2, 4, user_id=maria.id, status=BookingStatus.CANCELLED, deleted=True),
        at(1, 5, user_id=maria.id, status=BookingStatus.CONFIRMED),  # same time as 3
        at(5, 6, user_id=olga.id, status=BookingStatus.PENDING),
        at(4, 7),  # unmatched
        at(-1, 8),  # unmatched, past
    )  # type: ignore[arg-type]
    rid = {ids[k]: k.record_id for k in ids}

    async def records(q: BookingQuery) -> tuple[list[int], int]:
        async with uow_factory() as uow:
            page = await uow.bookings.query(q)
        assert (page.limit, page.offset) == (q.limit, q.offset)
        return [rid[b.id] for b in page.items], page.total  # type: ignore[index]

    upcoming = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})
    # Upcoming: nearest first, ties by id.
    assert await records(BookingQuery(user_id=maria.id, statuses=upcoming, starts_from=now)) == (
        [3, 5, 2], 3,
    )  # fmt: skip
    # Without a start: newest appointment first.
    assert await records(BookingQuery(user_id=maria.id)) == ([2, 4, 5, 3, 1], 5)
    assert await records(BookingQuery(user_id=maria.id, limit=2, offset=1)) == ([4, 5], 5)
    assert await records(BookingQuery(user_id=maria.id, offset=10)) == ([], 5)
    cancelled = frozenset({BookingStatus.CANCELLED})
    assert await records(BookingQuery(statuses=cancelled)) == ([4], 1)
    assert await records(BookingQuery(unmatched_only=True)) == ([7, 8], 2)
    assert await records(BookingQuery(statuses=frozenset())) == ([], 0)
    assert (await records(BookingQuery(limit=100)))[1] == 8


async def test_datetimes_come_back_in_utc(uow_factory: UnitOfWorkFactory) -> None:
    ids = await upsert(uow_factory, booking(1))
    got = await stored(uow_factory, ids[KEY])
    assert got.last_change_at.tzinfo is not None
    assert got.last_change_at.astimezone(UTC) == T0


async def test_get_versions_is_get_many_without_what_people_read(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await upsert(uow_factory, booking(1), booking(2))
    async with uow_factory() as uow:
        full = await uow.bookings.get_many([KEY, BookingKey(COMPANY, 9)])
        versions = await uow.bookings.get_versions([KEY, BookingKey(COMPANY, 9)])
    assert set(versions) == set(full) == {KEY}
    left_out = {"services": (), "staff_name": None, "client_name": None}
    assert replace(versions[KEY], updated_at=None) == replace(full[KEY], **left_out)


async def test_upsert_and_lock_returns_every_key_as_stored(uow_factory: UnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    await upsert(uow_factory, booking(2, status=BookingStatus.CONFIRMED))
    incoming = [
        booking(1, user_id=user.id, match_method=MatchMethod.EMAIL),  # new
        booking(2, last_change_at=T0 - timedelta(hours=1)),  # older than what is stored
        booking(3, status=BookingStatus.COMPLETED),
    ]
    async with uow_factory() as uow:
        got = await uow.bookings.upsert_and_lock(incoming)
        current = {k: await uow.bookings.get(b.id) for k, b in got.items()}  # type: ignore[arg-type]
        await uow.commit()
    assert set(got) == {KEY, BookingKey(COMPANY, 2), BookingKey(COMPANY, 3)}
    for key, b in got.items():
        assert replace(b, updated_at=None) == replace(current[key], updated_at=None)  # type: ignore[arg-type]
    assert got[BookingKey(COMPANY, 2)].status is BookingStatus.CONFIRMED  # the stored version
    assert (got[KEY].user_id, got[KEY].match_method) == (user.id, MatchMethod.EMAIL)
