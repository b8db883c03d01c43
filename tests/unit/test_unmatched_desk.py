"""The desk's unmatched list (issue 23, item 5): suggestions for a whole page at once, "not
a member" per client, undo of a manual link; and a replay that cannot help (item 9)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from src.application.errors import NotFound, ValidationFailed
from src.application.inbox.admin import RecordGone, ReplayWebhookEvent
from src.application.ports.request_budget import Priority
from src.application.use_cases.bookings import LinkBookingManually
from src.application.use_cases.unmatched import (
    DismissClient,
    Hint,
    RestoreClient,
    UndoLink,
    UndoRefused,
    UnmatchedToDo,
)
from src.domain.booking import BookingStatus, MatchMethod
from src.domain.dismissed import ClientKey, ClientKind, client_key
from src.domain.inbox import EventState
from src.domain.record import YClientsRecord
from src.domain.redemption import Redemption, RedemptionState
from src.domain.user import Role
from tests.fakes.tasks import FakeQueue
from tests.fakes.yclients import FakeDecoder, FakeGateway
from tests.unit.conftest import World
from tests.unit.test_webhooks import Hooks


class CountingUsers:
    """Counts the member lookups a page makes."""

    def __init__(self, world: World) -> None:
        self.calls = 0
        factory = world.uow_factory

        def make():  # type: ignore[no-untyped-def]
            uow = factory()
            for name in ("find_contacts", "get_many", "search", "get"):
                original = getattr(uow.users, name)

                async def counted(*a, _o=original, **k):  # type: ignore[no-untyped-def]
                    self.calls += 1
                    return await _o(*a, **k)

                setattr(uow.users, name, counted)
            return uow

        self.factory = make


def test_client_key_is_the_phone_else_the_email() -> None:
    assert client_key("+7 (916) 555-12-34", "A@x.ru") == ClientKey(ClientKind.PHONE, "9165551234")
    assert client_key("not a phone", " A@X.ru ") == ClientKey(ClientKind.EMAIL, "a@x.ru")
    assert client_key(None, None) is None


async def test_one_page_one_lookup_with_unverified_phone_said(world: World) -> None:
    anna = await world.user("anna@example.com", phone="+79165551234", verified=False)
    await world.user("boris@example.com", phone="+79160000001")  # verified, shares nothing
    records = [world.record(i, phone="8 916 555-12-34") for i in range(1, 8)]
    records.append(world.record(8, email="nobody@example.com"))
    await world.ingest(records)
    counting = CountingUsers(world)
    todo = UnmatchedToDo(counting.factory, world.switches)  # type: ignore[arg-type]
    page = await todo(20, 0)
    assert page.bookings.total == 8
    assert counting.calls == 2  # the contacts, then the members found: not one per card
    for b in page.bookings.items:
        hints = [(s.user.id, s.hint) for s in page.suggestions[b.id]]  # type: ignore[index]
        expected = [] if b.record_id == 8 else [(anna.id, Hint.PHONE_UNVERIFIED)]
        assert hints == expected


async def test_shared_phone_suggests_every_holder(world: World) -> None:
    a = await world.user("a@example.com", phone="+79165551234")
    b = await world.user("b@example.com", phone="+79165551234")
    c = await world.user("c@example.com", phone="+79165551234", verified=False)
    await world.ingest.one(world.record(1, phone="+79165551234"))
    page = await UnmatchedToDo(world.uow_factory, world.switches)()
    only = page.bookings.items[0]
    assert [(s.user.id, s.hint) for s in page.suggestions[only.id]] == [  # type: ignore[index]
        (a.id, Hint.PHONE_SHARED), (b.id, Hint.PHONE_SHARED), (c.id, Hint.PHONE_UNVERIFIED),
    ]  # fmt: skip


async def test_not_a_member_hides_the_clients_bookings_and_comes_back(world: World) -> None:
    await world.ingest([
        world.record(1, phone="+79165551234"), world.record(2, phone="8 (916) 555 12 34"),
        world.record(3, phone="+79160000000"), world.record(4),
    ])  # fmt: skip
    todo = UnmatchedToDo(world.uow_factory, world.switches)
    first = world.booking(1).id
    key = await DismissClient(world.uow_factory, world.clock, world.switches)(first, 7)  # type: ignore[arg-type]
    assert key == ClientKey(ClientKind.PHONE, "9165551234")
    assert {b.record_id for b in (await todo()).bookings.items} == {3, 4}
    hidden = await todo(hidden=True)
    assert {b.record_id for b in hidden.bookings.items} == {1, 2}
    # A future booking of the same client is hidden too.
    await world.ingest.one(world.record(5, phone="+7 916 555-12-34"))
    assert {b.record_id for b in (await todo()).bookings.items} == {3, 4}
    await RestoreClient(world.uow_factory, world.switches)(world.booking(2).id)  # type: ignore[arg-type]
    assert {b.record_id for b in (await todo()).bookings.items} == {1, 2, 3, 4, 5}
    assert world.store.dismissed == {}


async def test_not_a_member_needs_a_contact(world: World) -> None:
    await world.ingest.one(world.record(1))
    dismiss = DismissClient(world.uow_factory, world.clock, world.switches)
    with pytest.raises(ValidationFailed, match="no client phone or email"):
        await dismiss(world.booking(1).id, 7)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await dismiss(999, 7)
    page = await UnmatchedToDo(world.uow_factory, world.switches)()
    assert page.clients == {world.booking(1).id: None}


async def test_undo_a_link_before_anything_is_settled(world: World) -> None:
    maria = await world.user(phone="+79165551234", verified=False)
    upcoming = world.clock.now() + timedelta(days=1)
    await world.ingest.one(world.record(1, phone="+79165551234", appointment_at=upcoming))
    booking_id = world.booking(1).id
    reason = world.booking(1).unmatched_reason
    assert reason
    link = LinkBookingManually(world.uow_factory, world.clock, world.switches)
    await link(booking_id, maria.id, admin_id=7)  # type: ignore[arg-type]
    undone = await UndoLink(world.uow_factory, world.switches)(booking_id, maria.id)  # type: ignore[arg-type]
    assert (undone.user_id, undone.match_method, undone.unmatched_reason) == (None, None, reason)
    with pytest.raises(UndoRefused, match="not linked by hand"):  # twice: nothing to undo
        await UndoLink(world.uow_factory, world.switches)(booking_id, maria.id)  # type: ignore[arg-type]


async def test_undo_refused_once_points_were_credited(world: World) -> None:
    maria = await world.user()
    await world.ingest.one(world.record(1, status=BookingStatus.COMPLETED, email="x@example.com"))
    booking_id = world.booking(1).id
    await LinkBookingManually(world.uow_factory, world.clock, world.switches)(
        booking_id,  # type: ignore[arg-type]
        maria.id,
        admin_id=7,
    )
    with pytest.raises(UndoRefused, match="points were already settled"):
        await UndoLink(world.uow_factory, world.switches)(booking_id, maria.id)  # type: ignore[arg-type]
    assert world.booking(1).user_id == maria.id and world.balance(maria.id) == 75


async def test_undo_refused_while_points_are_held(world: World) -> None:
    maria = await world.user()
    upcoming = world.clock.now() + timedelta(days=1)
    await world.ingest.one(world.record(1, email="x@example.com", appointment_at=upcoming))
    booking_id = world.booking(1).id
    assert booking_id is not None
    await LinkBookingManually(world.uow_factory, world.clock, world.switches)(
        booking_id, maria.id, admin_id=7
    )
    world.store.redemptions[99] = Redemption(
        maria.id, Decimal(10), RedemptionState.HELD, "hold", world.clock.now(), booking_id, id=99
    )
    with pytest.raises(UndoRefused, match="held"):
        await UndoLink(world.uow_factory, world.switches)(booking_id, maria.id)
    assert world.booking(1).match_method is MatchMethod.MANUAL


async def test_replay_says_when_the_record_is_gone(world: World) -> None:
    decoder, queue = FakeDecoder(), FakeQueue()
    replay = ReplayWebhookEvent(
        world.uow_factory, queue, world.clock, world.gateway, decoder, world.switches
    )
    hooks = Hooks(world)  # accepts the event as a webhook would
    body = decoder.encode(None, "update", resource_id=9)  # partial: needs the record
    event_id = (await hooks.accept(body)).event_id
    event = world.store.events[event_id]
    event.state = EventState.DEAD
    with pytest.raises(RecordGone, match="no longer in YClients"):
        await replay(event_id)
    assert world.store.events[event_id].state is EventState.DEAD and queue.events == []
    world.gateway.put(world.record(9))  # the record is back: the replay goes ahead
    await replay(event_id)
    assert world.store.events[event_id].state is EventState.PENDING
    assert queue.events == [event_id]


class StalledGateway(FakeGateway):
    """A YClients that takes its whole retry budget (an outage) to answer."""

    async def get_record(
        self, company_id: int, record_id: int, *, priority: Priority = Priority.INTERACTIVE
    ) -> YClientsRecord | None:
        await asyncio.sleep(3600)
        return None


async def test_replay_does_not_wait_out_a_yclients_outage(world: World) -> None:
    """Issue 21 item 8: the console's replay waited out YClients' retry budget (20 s in the
    outage test, 60 s by default) before answering; the record check is bounded."""
    decoder, queue = FakeDecoder(), FakeQueue()
    replay = ReplayWebhookEvent(
        world.uow_factory, queue, world.clock, StalledGateway(), decoder, world.switches,
        record_check_seconds=0.05,
    )  # fmt: skip
    event_id = (await Hooks(world).accept(decoder.encode(None, "update", resource_id=9))).event_id
    world.store.events[event_id].state = EventState.DEAD
    async with asyncio.timeout(5):
        await replay(event_id)  # YClients did not say the record is gone: the replay goes ahead
    assert world.store.events[event_id].state is EventState.PENDING
    assert queue.events == [event_id]


def test_every_hint_and_undo_refusal_has_staff_words() -> None:
    from src.entrypoints.console.i18n import LABELS
    from src.entrypoints.console.unmatched import UNDO_REFUSALS

    keys = {f"hint_{h.value}" for h in Hint} | set(UNDO_REFUSALS.values()) | {"record_gone"}
    assert not keys - LABELS.keys(), sorted(keys - LABELS.keys())
    assert all(all(pair) for key, pair in LABELS.items() if key in keys)  # Russian and English


async def test_an_unverified_email_is_said_and_staff_accounts_are_never_suggested(
    world: World,
) -> None:
    olga = await world.user("olga@example.com", verified=False)
    boss = await world.user("boss@example.com", phone="+79165550000", verified=False)
    async with world.uow_factory() as uow:
        await uow.users.set_role(boss.id, Role.ADMIN)
        await uow.commit()
    await world.ingest([
        world.record(1, email="OLGA@example.com"), world.record(2, phone="+79165550000"),
    ])  # fmt: skip
    page = await UnmatchedToDo(world.uow_factory, world.switches)()
    by_record = {b.record_id: page.suggestions[b.id] for b in page.bookings.items}  # type: ignore[index]
    assert [(s.user.id, s.hint) for s in by_record[1]] == [(olga.id, Hint.EMAIL_UNVERIFIED)]
    assert by_record[2] == []
