"""Webhook events applied in batches (`ApplyBatch`) over the fakes: the same ledger as one
event at a time, and one bad event never fails its neighbours."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from src.application.inbox.accept import AcceptWebhook
from src.application.inbox.admin import ProcessWebhookEvent
from src.application.inbox.batch import ApplyBatch
from src.application.inbox.drain import DrainInbox
from src.application.ports.users import NewUser
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.domain.booking import BookingStatus
from src.domain.inbox import EventState, WebhookEvent, dedupe_key
from src.domain.loyalty import LoyaltyLevel
from src.domain.record import ServiceLine, YClientsRecord
from tests.fakes.clock import FakeClock
from tests.fakes.store import Store
from tests.fakes.tasks import FakeDrainGate, FakeQueue
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.yclients import FakeDecoder, FakeGateway
from tests.unit.conftest import World

COMPANY = 873456
T0 = datetime(2026, 11, 1, tzinfo=UTC)
CODES = ["AAAA2222", "BBBB3333"]
# One level: a percent that does not depend on the order awards are made in. (With several
# levels, which award comes first decides a member's level for the next one; one event at a
# time follows arrival order, a batch follows booking order, as the sync does, and both
# are right. The ledger property test in test_ledger_properties.py covers levels.)
ONE_LEVEL = [LoyaltyLevel("Only", Decimal(0), Decimal(5))]


@dataclass(frozen=True)
class Delivery:
    record_id: int
    n: int  # version: later is newer
    status: BookingStatus
    price: int
    kind: str  # update | delete (with data) | bare-delete (no data)
    code: int | None

    def record(self) -> YClientsRecord:
        return YClientsRecord(
            company_id=COMPANY,
            record_id=self.record_id,
            status=BookingStatus.CANCELLED if self.kind == "delete" else self.status,
            appointment_at=T0 + timedelta(days=self.record_id),
            last_change_at=T0 + timedelta(minutes=self.n),
            services=(ServiceLine("s", Decimal(self.price)),),
            comment=f"Код клиента: {CODES[self.code]}" if self.code is not None else "",
            deleted=self.kind == "delete",
        )


deliveries = st.builds(
    Delivery,
    record_id=st.integers(1, 4),
    n=st.integers(0, 5),
    status=st.sampled_from(list(BookingStatus)),
    price=st.sampled_from([0, 999, 2500, 40000]),
    kind=st.sampled_from(["update"] * 6 + ["delete", "bare-delete"]),
    # A booking's link is sticky (first match wins), so a code that changes between
    # versions would be linked by whichever version comes first: one code per record.
    code=st.just(None),
)


class _World:
    def __init__(self) -> None:
        self.store = Store(levels=list(ONE_LEVEL))
        self.factory = FakeUnitOfWorkFactory(self.store)
        self.clock = FakeClock(T0 + timedelta(hours=1))
        self.decoder = FakeDecoder()
        switches = Switches()
        ingest = IngestRecords(self.factory, self.clock, switches)
        self.accept = AcceptWebhook(
            self.factory, self.decoder, FakeQueue(), self.clock, [COMPANY], switches
        )
        self.inbox = ApplyBatch(
            self.factory, ingest, FakeGateway(), self.decoder, self.clock, switches
        )
        # One event at a time for real: a batch of one claims only the delivery's own event.
        self.single = ApplyBatch(
            self.factory, ingest, FakeGateway(), self.decoder, self.clock, switches, batch_size=1
        )
        self.one = ProcessWebhookEvent(self.factory, self.single)

    async def members(self) -> None:
        async with self.factory() as uow:
            for i, code in enumerate(CODES):
                await uow.users.add(
                    NewUser(email=f"u{i}@x.io", password_hash="x", unique_code=code)
                )
            await uow.commit()

    async def deliver(self, deliveries: list[Delivery]) -> list[int]:
        ids = []
        for i, d in enumerate(deliveries):
            record = None if d.kind == "bare-delete" else d.record()
            status = "update" if d.kind == "update" else "delete"
            body = self.decoder.encode(record, status, resource_id=d.record_id)
            body += b" " * i  # every delivery is its own event, duplicates included
            self.decoder.records[body] = record
            ids.append((await self.accept(body)).event_id)
        return ids

    def ledger(self) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[int, str]]:
        per_booking: dict[int, Decimal] = defaultdict(Decimal)
        for e in self.store.entries:
            record_id = self.store.bookings[e.booking_id].record_id  # type: ignore[index]
            per_booking[record_id] += e.amount
        balances = {uid: a.balance for uid, a in self.store.accounts.items() if a.balance}
        states = {b.record_id: b.status.value for b in self.store.bookings.values()}
        sums = {rid: total for rid, total in per_booking.items() if total}
        return sums, balances, states


# A sixth of the profile's examples (dev 50, ci 333): each runs two worlds.
@settings(max_examples=max(20, settings().max_examples // 6))
@given(st.lists(deliveries, min_size=1, max_size=10), st.data())
def test_batches_split_anywhere_give_the_ledger_of_one_event_at_a_time(
    program: list[Delivery], data: st.DataObject
) -> None:
    asyncio.run(_compare(program, data))


async def _compare(program: list[Delivery], data: st.DataObject) -> None:
    # The same YClients version has the same content (as generated data may not).
    canonical: dict[tuple[int, int, str], Delivery] = {}
    program = [
        canonical.setdefault((d.record_id, d.n, d.kind), replace(d, code=_code(d.record_id)))
        for d in program
    ]
    one, batched = _World(), _World()
    for world in (one, batched):
        await world.members()
    for event_id in await one.deliver(program):
        await one.one(event_id)
    ids = await batched.deliver(program)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(ids) - 1)), max_size=4)))
    for chunk in (ids[a:b] for a, b in zip([0, *cuts], [*cuts, len(ids)], strict=True)):
        while (await batched.inbox.batch(ids=chunk)).deferred:
            pass
    assert all(e.state is EventState.PROCESSED for e in batched.store.events.values())
    assert batched.ledger() == one.ledger()
    for world in (one, batched):
        for uid, account in world.store.accounts.items():
            assert account.balance == sum(e.amount for e in world.store.entries if e.user_id == uid)


def _code(record_id: int) -> int | None:
    return (None, 0, 1)[record_id % 3]


def _raw_event(world: World, body: bytes, resource_id: int) -> WebhookEvent:
    return WebhookEvent(
        company_id=COMPANY, resource="record", resource_id=resource_id, event_status="update",
        body=body, dedupe_key=dedupe_key(body), received_at=world.clock.now(),
    )  # fmt: skip


def _inbox(world: World, decoder: FakeDecoder, batch_size: int = 200) -> ApplyBatch:
    return ApplyBatch(
        world.uow_factory, world.ingest, world.gateway, decoder, world.clock, world.switches,
        batch_size=batch_size,
    )  # fmt: skip


def _drain(inbox: ApplyBatch) -> DrainInbox:
    return DrainInbox(inbox, FakeDrainGate(), FakeQueue(), inbox.uow_factory)


async def _backlog(world: World, decoder: FakeDecoder, records: int) -> None:
    """One event for each of records 1..`records`, committed."""
    async with world.uow_factory() as uow:
        await uow.inbox.add_many(
            [_raw_event(world, decoder.encode(world.record(i)), i) for i in range(1, records + 1)]
        )
        await uow.commit()


async def test_one_unreadable_body_and_one_refused_record_leave_the_rest_committed(
    world: World,
) -> None:
    decoder = FakeDecoder()
    inbox = _inbox(world, decoder)
    good = [decoder.encode(world.record(i)) for i in (1, 2, 3, 4)]
    refused = decoder.encode(world.record(5))
    world.store.refuse.add((COMPANY, 5))
    async with world.uow_factory() as uow:
        added = await uow.inbox.add_many([_raw_event(world, b, i) for i, b in enumerate(good, 1)])
        ids = [event_id for event_id, _ in added]
        [(bad_body, _)] = await uow.inbox.add_many([_raw_event(world, b"{not json", 6)])
        [(bad_write, _)] = await uow.inbox.add_many([_raw_event(world, refused, 5)])
        await uow.commit()

    outcome = await inbox.batch(company_id=COMPANY)

    assert sorted(outcome.processed) == ids
    assert set(outcome.failed) == {bad_body, bad_write}
    assert sorted(b.record_id for b in world.store.bookings.values()) == [1, 2, 3, 4]
    unreadable, unwritable = world.store.events[bad_body], world.store.events[bad_write]
    assert unreadable.state is EventState.PENDING and unreadable.attempts == 1
    assert "not valid JSON" in (unreadable.last_error or "")
    assert unwritable.state is EventState.PENDING and unwritable.attempts == 1
    assert "refused" in (unwritable.last_error or "")
    # Their retry is scheduled, growing per attempt; the others are done.
    assert unreadable.retry_at == world.clock.now() + timedelta(seconds=5)
    assert (COMPANY, 5) in world.store.quarantined
    # Not due yet: the next batch leaves them alone; once due, they are tried again.
    assert (await inbox.batch(company_id=COMPANY)).claimed == 0
    world.clock.advance(seconds=6)
    world.store.refuse.clear()
    again = await inbox.batch(company_id=COMPANY)
    assert again.processed == [bad_write] and set(again.failed) == {bad_body}
    assert world.store.events[bad_body].retry_at == world.clock.now() + timedelta(seconds=10)


async def test_an_event_failing_its_last_attempt_in_a_batch_is_dead(world: World) -> None:
    decoder = FakeDecoder()
    inbox = ApplyBatch(
        world.uow_factory, world.ingest, world.gateway, decoder, world.clock, world.switches,
        max_attempts=2,
    )  # fmt: skip
    async with world.uow_factory() as uow:
        [(bad, _)] = await uow.inbox.add_many([_raw_event(world, b"[", 1)])
        await uow.commit()
    await inbox.batch(company_id=COMPANY)
    world.clock.advance(minutes=1)
    await inbox.batch(company_id=COMPANY)
    event = world.store.events[bad]
    assert (event.state, event.attempts, event.retry_at) == (EventState.DEAD, 2, None)


async def test_a_single_delivery_with_no_backlog_is_a_batch_of_one(world: World) -> None:
    decoder = FakeDecoder()
    inbox = _inbox(world, decoder)
    body = decoder.encode(world.record(7))
    async with world.uow_factory() as uow:
        [(event_id, _)] = await uow.inbox.add_many([_raw_event(world, body, 7)])
        await uow.commit()
    outcome = await inbox.batch(include=event_id)
    assert outcome.processed == [event_id]
    assert world.booking(7).record_id == 7


async def test_a_batch_takes_no_more_than_its_size_and_drain_empties_the_backlog(
    world: World,
) -> None:
    decoder = FakeDecoder()
    inbox = _inbox(world, decoder, batch_size=3)
    await _backlog(world, decoder, 8)
    assert len((await inbox.batch(company_id=COMPANY)).processed) == 3
    assert (await _drain(inbox).batches(COMPANY)).processed == 5
    assert len(world.store.bookings) == 8


async def test_a_task_its_event_was_batched_ahead_of_finds_it_done_and_a_replay_runs() -> None:
    world = _World()
    await world.members()
    program = [Delivery(n, 0, BookingStatus.COMPLETED, 2500, "update", None) for n in (1, 2, 3)]
    ids = await world.deliver(program)
    world.inbox.batch_size = 10
    world.one.inbox = world.inbox
    assert len((await world.inbox.batch(include=ids[0])).processed) == 3
    assert await world.one(ids[1]) is EventState.PROCESSED
    assert world.store.events[ids[1]].attempts == 1  # found done, not applied again


async def test_a_replay_of_an_event_a_drain_processed_is_processed_again() -> None:
    """Regression: the process once remembered events its batches took ahead of their own
    tasks and answered those tasks without a claim; a drain's events have no task of their
    own, so a later replay of one was answered from that memory and never ran."""
    world = _World()
    await world.members()
    program = [Delivery(n, 0, BookingStatus.COMPLETED, 2500, "update", None) for n in (1, 2, 3)]
    ids = await world.deliver(program)
    world.one.inbox = world.inbox
    assert (await _drain(world.inbox).batches(COMPANY)).processed == 3
    event = world.store.events[ids[1]]
    world.store.events[ids[1]] = replace(event, state=EventState.PENDING, attempts=0)
    assert await world.one(ids[1]) is EventState.PROCESSED
    assert world.store.events[ids[1]].state is EventState.PROCESSED
    assert world.store.events[ids[1]].attempts == 1  # it ran


async def test_drain_clears_the_marker_before_every_claim_until_none_is_claimable(
    world: World,
) -> None:
    decoder = FakeDecoder()
    inbox = _inbox(world, decoder, batch_size=3)
    await _backlog(world, decoder, 8)
    claims = 0

    async def before_claim() -> None:
        nonlocal claims
        claims += 1

    drained = await _drain(inbox).batches(COMPANY, before_claim=before_claim)

    assert (drained.processed, drained.failed, drained.more) == (8, [], False)
    assert claims == 3  # 3 + 3 + 2: the short batch ends the drain
    assert all(e.state is EventState.PROCESSED for e in world.store.events.values())


async def test_an_event_committed_when_the_marker_is_cleared_is_taken_by_that_drain(
    world: World,
) -> None:
    """The coalescing rests on this: whatever is committed before the clear is claimed."""
    decoder = FakeDecoder()
    inbox = _inbox(world, decoder)

    async def an_event_arrives() -> None:
        async with world.uow_factory() as uow:
            await uow.inbox.add_many([_raw_event(world, decoder.encode(world.record(3)), 3)])
            await uow.commit()

    drained = await _drain(inbox).batches(COMPANY, before_claim=an_event_arrives)
    assert drained.processed == 1 and world.booking(3).record_id == 3


async def test_drain_stops_at_its_batch_limit_and_says_more_is_left(world: World) -> None:
    decoder = FakeDecoder()
    inbox = _inbox(world, decoder, batch_size=2)
    await _backlog(world, decoder, 5)
    first = await _drain(inbox).batches(COMPANY, max_batches=2)
    assert (first.processed, first.more) == (4, True)
    rest = await _drain(inbox).batches(COMPANY, max_batches=2)
    assert (rest.processed, rest.more) == (1, False)


async def test_drain_goes_on_past_events_a_batch_left_for_the_next() -> None:
    """A short batch that deferred events (a later version of a record deleted without
    `data`) is not the end of the backlog: the next batch takes them."""
    world = _World()
    await world.members()
    program = [
        Delivery(1, 0, BookingStatus.COMPLETED, 2500, "update", None),
        Delivery(1, 1, BookingStatus.PENDING, 0, "bare-delete", None),
        Delivery(1, 2, BookingStatus.COMPLETED, 2500, "update", None),
    ]
    await world.deliver(program)
    drained = await _drain(world.inbox).batches(COMPANY)
    assert drained.processed == 3 and not drained.more
    assert all(e.state is EventState.PROCESSED for e in world.store.events.values())


async def test_a_failed_event_is_reported_by_the_drain_for_its_own_retrying_task(
    world: World,
) -> None:
    decoder = FakeDecoder()
    inbox = _inbox(world, decoder)
    async with world.uow_factory() as uow:
        [(good, _)] = await uow.inbox.add_many(
            [_raw_event(world, decoder.encode(world.record(1)), 1)]
        )
        [(bad, _)] = await uow.inbox.add_many([_raw_event(world, b"{not json", 2)])
        await uow.commit()
    drained = await _drain(inbox).batches(COMPANY)
    assert (drained.processed, drained.failed) == (1, [bad])
    assert world.store.events[good].state is EventState.PROCESSED
    assert world.store.events[bad].state is EventState.PENDING
