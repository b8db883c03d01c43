from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from src.application.errors import GatewayError, MalformedPayload, ValidationFailed
from src.application.inbox.accept import AcceptWebhook
from src.application.inbox.admin import ProcessWebhookEvent, ReplayWebhookEvent, SweepInbox
from src.application.inbox.batch import ApplyBatch
from src.application.use_cases.ingest import IngestRecords
from src.domain.booking import BookingStatus
from src.domain.inbox import EventState
from tests.fakes.tasks import FakeQueue
from tests.fakes.yclients import FakeDecoder
from tests.unit.conftest import World


class Hooks:
    def __init__(self, world: World) -> None:
        self.world = world
        self.decoder = FakeDecoder()
        self.queue = FakeQueue()
        w = world
        self.accept = AcceptWebhook(
            w.uow_factory, self.decoder, self.queue, w.clock, [873456], w.switches
        )
        self.process = ProcessWebhookEvent(
            w.uow_factory,
            ApplyBatch(
                w.uow_factory,
                IngestRecords(w.uow_factory, w.clock, w.switches),
                w.gateway,
                self.decoder,
                w.clock,
                w.switches,
            ),
        )
        self.replay = ReplayWebhookEvent(w.uow_factory, self.queue, w.clock)
        self.sweep = SweepInbox(w.uow_factory, self.queue, w.clock, w.switches)

    async def deliver(self, body: bytes) -> None:
        result = await self.accept(body)
        if result.status == "accepted":
            await self.process(result.event_id)


@pytest.fixture
def hooks(world: World) -> Hooks:
    return Hooks(world)


async def test_accept_stores_then_enqueues_and_dedupes(world: World, hooks: Hooks) -> None:
    body = hooks.decoder.encode(world.record())
    first = await hooks.accept(body)
    second = await hooks.accept(body)
    assert (first.status, second.status) == ("accepted", "duplicate")
    assert first.event_id == second.event_id
    # A drain of its company is kicked (once: the duplicate kicks nothing).
    assert hooks.queue.drains == [world.store.events[first.event_id].company_id]
    assert hooks.queue.events == []
    assert world.store.events[first.event_id].state is EventState.PENDING


async def test_unknown_resource_is_stored_ignored(world: World, hooks: Hooks) -> None:
    result = await hooks.accept(hooks.decoder.encode(None, resource="client", resource_id=5))
    assert result.status == "ignored"
    assert world.store.events[result.event_id].state is EventState.IGNORED
    assert hooks.queue.events == [] and hooks.queue.drains == []


async def test_bad_input_stores_nothing(world: World, hooks: Hooks) -> None:
    with pytest.raises(MalformedPayload):
        await hooks.accept(b"{not json")
    with pytest.raises(ValidationFailed, match="resource_id"):
        await hooks.accept(b'{"company_id": 873456, "resource": "record", "status": "create"}')
    with pytest.raises(ValidationFailed, match="company_id 1 is not a configured company"):
        await hooks.accept(hooks.decoder.encode(world.record(), company_id=1))
    assert world.store.events == {}


async def test_full_flow_create_then_complete_awards_points(world: World, hooks: Hooks) -> None:
    maria = await world.user(code="ABC23456")
    created = world.record(comment="Код клиента: ABC23456")
    await hooks.deliver(hooks.decoder.encode(created, "create"))
    await hooks.deliver(hooks.decoder.encode(world.newer(created, status=BookingStatus.COMPLETED)))
    assert world.booking().status is BookingStatus.COMPLETED
    assert world.balance(maria.id) == 75
    assert all(e.state is EventState.PROCESSED for e in world.store.events.values())


async def test_delete_with_partial_data_cancels_and_reverses(world: World, hooks: Hooks) -> None:
    maria = await world.user(code="ABC23456")
    done = world.record(status=BookingStatus.COMPLETED, comment="Код клиента: ABC23456")
    await hooks.deliver(hooks.decoder.encode(done, "create"))
    world.clock.advance(minutes=1)  # the delete is received after the version it deletes
    await hooks.deliver(hooks.decoder.encode(None, "delete", resource_id=done.record_id))
    b = world.booking()
    assert (b.status, b.deleted) == (BookingStatus.CANCELLED, True)
    assert world.balance(maria.id) == 0


async def test_delete_without_data_replayed_after_a_newer_update_changes_nothing(
    world: World, hooks: Hooks
) -> None:
    maria = await world.user(code="ABC23456")
    first = world.record(status=BookingStatus.CONFIRMED, comment="Код клиента: ABC23456")
    await hooks.deliver(hooks.decoder.encode(first, "create"))
    world.clock.advance(minutes=1)
    delete = await hooks.accept(hooks.decoder.encode(None, "delete", resource_id=first.record_id))
    # The delete is not processed yet (a failing attempt, a worker lost) when a newer
    # version arrives: the visit was completed in YClients after the delete was received.
    world.clock.advance(minutes=1)
    done = replace(first, status=BookingStatus.COMPLETED, last_change_at=world.clock.now())
    await hooks.deliver(hooks.decoder.encode(done, "update"))
    points = world.balance(maria.id)
    assert points > 0
    await hooks.process(delete.event_id)  # the older delete, applied late
    b = world.booking()
    assert (b.status, b.deleted) == (BookingStatus.COMPLETED, False)
    assert world.balance(maria.id) == points


async def test_partial_data_refetches_record(world: World, hooks: Hooks) -> None:
    record = world.record()
    world.gateway.put(record)
    await hooks.deliver(hooks.decoder.encode(None, "update", resource_id=record.record_id))
    assert world.booking().record_id == record.record_id
    assert world.gateway.requests == 1


async def test_failure_retries_then_dead_then_replay(world: World, hooks: Hooks) -> None:
    world.gateway.put(world.record(9))
    body = hooks.decoder.encode(None, "update", resource_id=9)
    event_id = (await hooks.accept(body)).event_id
    world.gateway.get_record = _failing  # type: ignore[method-assign]
    with pytest.raises(GatewayError):
        await hooks.process(event_id, final_attempt=False)
    assert world.store.events[event_id].state is EventState.PENDING
    with pytest.raises(GatewayError):
        await hooks.process(event_id, final_attempt=True)
    event = world.store.events[event_id]
    assert (event.state, event.attempts) == (EventState.DEAD, 2)
    assert "503" in (event.last_error or "")
    del world.gateway.get_record  # the fault is gone
    await hooks.replay(event_id)
    assert hooks.queue.events[-1] == event_id
    assert await hooks.process(event_id) is EventState.PROCESSED
    assert world.booking(9).record_id == 9


async def _failing(company_id: int, record_id: int) -> None:
    raise GatewayError("YClients answered 503")


async def test_out_of_order_webhooks_keep_newest(world: World, hooks: Hooks) -> None:
    maria = await world.user(code="ABC23456")
    v1 = world.record(comment="Код клиента: ABC23456")
    v2 = world.newer(v1, status=BookingStatus.COMPLETED)
    v3 = world.newer(v2, status=BookingStatus.CANCELLED)
    for v in (v3, v1, v2, v3):
        await hooks.deliver(hooks.decoder.encode(v))
    assert world.booking().status is BookingStatus.CANCELLED
    assert world.balance(maria.id) == 0 and world.store.entries == []


async def test_disabled_integration_stores_and_defers(world: World, hooks: Hooks) -> None:
    world.switches.yclients_enabled = False
    result = await hooks.accept(hooks.decoder.encode(world.record()))
    assert result.status == "accepted" and hooks.queue.drains == []
    assert await hooks.process(result.event_id) is EventState.PENDING
    world.switches.yclients_enabled = True
    world.clock.advance(minutes=5)
    assert await hooks.sweep() == 1
    assert hooks.queue.events == [result.event_id]


async def test_sweeper_skips_fresh_events(world: World, hooks: Hooks) -> None:
    await hooks.accept(hooks.decoder.encode(world.record()))
    assert await hooks.sweep() == 0
    world.clock.current += timedelta(minutes=3)
    assert await hooks.sweep() == 1


async def test_delete_with_full_data(world: World, hooks: Hooks) -> None:
    r = world.record()
    await hooks.deliver(hooks.decoder.encode(r, "create"))
    await hooks.deliver(hooks.decoder.encode(replace(r, deleted=True), "delete"))
    assert world.booking().status is BookingStatus.CANCELLED


async def test_sweeper_leaves_events_a_worker_is_retrying(world: World, hooks: Hooks) -> None:
    world.gateway.put(world.record(9))
    event_id = (await hooks.accept(hooks.decoder.encode(None, "update", resource_id=9))).event_id
    world.gateway.get_record = _failing  # type: ignore[method-assign]
    world.clock.advance(minutes=3)
    with pytest.raises(GatewayError):
        await hooks.process(event_id, final_attempt=False)  # attempted just now
    assert await hooks.sweep() == 0
    world.clock.advance(minutes=3)  # the retry chain died with its worker
    assert await hooks.sweep() == 1
