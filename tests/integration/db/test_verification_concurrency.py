"""Issue 12 on PostgreSQL, concurrently: of two members verifying one phone at once exactly
one wins (the other gets `ContactTaken`, a 409), and retroactive linking credits a completed
booking exactly once while a webhook for the same booking is being processed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.adapters.db.engine import make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.errors import ContactTaken
from src.application.ports.users import NewUser
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.verification import VerificationCodes, VerifyContact
from src.domain.booking import BookingKey, BookingStatus, MatchMethod
from src.domain.contacts import phone_key
from src.domain.loyalty import EntryKind
from src.domain.record import ClientInfo, ServiceLine, YClientsRecord
from src.domain.verification import Purpose
from tests.factories import COMPANY_ID, RecordFactory
from tests.fakes.clock import FakeClock

ROUNDS = 8
SECRET = "integration-code-secret-0123456789abcdef"
POINTS = Decimal("75.00")  # 2500.00 at Bronze's 3 %


@pytest.fixture
async def factory(
    pg_url: str, pg_uow_factory: SqlUnitOfWorkFactory
) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """Emptied tables, and a pool wide enough for every racer to hold its own connection."""
    engine = make_engine(pg_url, pool_size=10, max_overflow=5)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()


def phone_of(n: int) -> str:
    return f"+7 916 {n:03d}-22-33"


async def member_with_code(
    factory: SqlUnitOfWorkFactory, codes: VerificationCodes, email: str, phone: str
) -> tuple[int, str]:
    """A member with an unverified phone and the code sent to it."""
    async with factory() as uow:
        user = await uow.users.add(NewUser(email, "h", phone=phone, phone_key=phone_key(phone)))
        outgoing = await codes.issue(uow, user, Purpose.PHONE)
        await uow.commit()
    return user.id, outgoing.code


def completed_visit(record_id: int, phone: str, changed: datetime) -> YClientsRecord:
    return RecordFactory.build(
        record_id=record_id,
        status=BookingStatus.COMPLETED,
        services=(ServiceLine("Manicure", Decimal("2500.00")),),
        client=ClientInfo(name="Client", phone=phone, email=None),
        comment="",
        last_change_at=changed,
    )


async def test_two_concurrent_verifications_of_one_phone_have_one_winner(
    factory: SqlUnitOfWorkFactory,
) -> None:
    clock = FakeClock(datetime.now(UTC))
    codes = VerificationCodes(SECRET, clock)
    verify = VerifyContact(factory, codes, clock, Switches())
    ingest = IngestRecords(factory, clock, Switches())
    for n in range(ROUNDS):
        phone = phone_of(n)
        await ingest.one(completed_visit(1000 + n, phone, clock.now()))
        a, code_a = await member_with_code(factory, codes, f"a{n}@example.com", phone)
        clock.advance(seconds=61)  # one code a minute per phone
        b, code_b = await member_with_code(factory, codes, f"b{n}@example.com", phone)

        results = await asyncio.gather(
            verify(a, Purpose.PHONE, code_a),
            verify(b, Purpose.PHONE, code_b),
            return_exceptions=True,
        )

        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1, results
        assert len(losers) == 1 and isinstance(losers[0], ContactTaken), results
        winner = winners[0].user.id
        async with factory() as uow:
            users = {u: await uow.users.get(u) for u in (a, b)}
            booking = (await uow.bookings.get_many([BookingKey(COMPANY_ID, 1000 + n)]))[
                BookingKey(COMPANY_ID, 1000 + n)
            ]
            entries = (await uow.ledger.entries(winner, limit=100, offset=0)).items
        verified = [u for u, user in users.items() if user and user.phone_verified_at]
        assert verified == [winner]
        assert (booking.user_id, booking.match_method) == (winner, MatchMethod.PHONE)
        assert [(e.kind, e.amount) for e in entries if e.booking_id == booking.id] == [
            (EntryKind.ACCRUAL, POINTS)
        ]


async def test_retroactive_linking_and_a_concurrent_webhook_credit_a_visit_once(
    factory: SqlUnitOfWorkFactory,
) -> None:
    clock = FakeClock(datetime.now(UTC))
    codes = VerificationCodes(SECRET, clock)
    switches = Switches()
    verify = VerifyContact(factory, codes, clock, switches)
    ingest = IngestRecords(factory, clock, switches)
    for n in range(ROUNDS):
        phone = phone_of(100 + n)
        record_id = 2000 + n
        visit = completed_visit(record_id, phone, clock.now())
        await ingest.one(visit)  # stored unmatched: nobody has verified the phone
        user, code = await member_with_code(factory, codes, f"m{n}@example.com", phone)
        # The webhook: the same visit again (a newer version on odd rounds), processed
        # while the member types the code.
        webhook = visit if n % 2 == 0 else replace(visit, last_change_at=visit.last_change_at
                                                   + timedelta(seconds=1))  # fmt: skip

        results = await asyncio.gather(
            verify(user, Purpose.PHONE, code),
            ingest.one(webhook),
            ingest.one(webhook),
            return_exceptions=True,
        )

        assert not [r for r in results if isinstance(r, BaseException)], results
        async with factory() as uow:
            key = BookingKey(COMPANY_ID, record_id)
            booking = (await uow.bookings.get_many([key]))[key]
            account = await uow.ledger.get_account(user)
            entries = (await uow.ledger.entries(user, limit=100, offset=0)).items
        assert booking.user_id == user
        assert [(e.kind, e.amount, e.step) for e in entries] == [(EntryKind.ACCRUAL, POINTS, 1)]
        assert (booking.bonus_points, booking.ledger_step) == (POINTS, 1)
        assert account.balance == POINTS


async def test_a_visit_completed_while_a_verification_links_it_is_credited_at_once(
    factory: SqlUnitOfWorkFactory,
) -> None:
    """The webhook read the booking as unmatched and pending; the verification linked it before
    the webhook's write took its lock. The write keeps the link, so the award step must look at
    the completed row as written, not skip it as 'unlinked' (else the member waits for the
    reconcile task)."""
    clock = FakeClock(datetime.now(UTC))
    switches = Switches()
    ingest = IngestRecords(factory, clock, switches)
    phone = phone_of(300)
    visit = completed_visit(3000, phone, clock.now())
    await ingest.one(replace(visit, status=BookingStatus.PENDING))  # stored, unmatched
    async with factory() as uow:
        user = await uow.users.add(NewUser("late@example.com", "h", phone_key=phone_key(phone)))
        await uow.commit()

    linking = factory()
    async with linking as uow:
        [booking] = await uow.bookings.lock_unmatched_by_contact(None, phone_key(phone))
        assert booking.id is not None
        await uow.bookings.relink(booking.id, user.id, MatchMethod.PHONE)
        completed = asyncio.create_task(
            ingest.one(replace(visit, last_change_at=visit.last_change_at + timedelta(seconds=1)))
        )
        await asyncio.sleep(0.3)
        assert not completed.done()  # its upsert waits for the linking transaction
        await uow.commit()
    await completed

    async with factory() as uow:
        account = await uow.ledger.get_account(user.id)
        entries = (await uow.ledger.entries(user.id, limit=100, offset=0)).items
    assert [(e.kind, e.amount) for e in entries] == [(EntryKind.ACCRUAL, POINTS)]
    assert account.balance == POINTS
