"""Group commit of webhook deliveries: shared transactions, per-delivery answers, and nothing
acknowledged that was not committed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from src.application.inbox.accept import AcceptWebhook, InboxWriter
from src.domain.inbox import WebhookEvent
from tests.fakes.tasks import FakeQueue
from tests.fakes.uow import FakeUnitOfWork, FakeUnitOfWorkFactory
from tests.fakes.yclients import FakeDecoder
from tests.unit.conftest import World


class CountingFactory(FakeUnitOfWorkFactory):
    """Counts committed transactions; can make the inbox write fail."""

    def __init__(self, world: World) -> None:
        super().__init__(world.store)
        self.commits = 0
        self.fail: Exception | None = None

    def __call__(self) -> FakeUnitOfWork:
        uow = super().__call__()
        factory, add_many, commit = self, uow.inbox.add_many, uow.commit

        async def failing_add_many(events: Sequence[WebhookEvent]) -> list[tuple[int, bool]]:
            result = await add_many(events)
            if factory.fail is not None:
                raise factory.fail
            return result

        async def counted_commit() -> None:
            factory.commits += 1
            await commit()

        uow.inbox.add_many = failing_add_many  # type: ignore[method-assign]
        uow.commit = counted_commit  # type: ignore[method-assign]
        return uow


def accept(world: World, factory: CountingFactory, queue: FakeQueue) -> AcceptWebhook:
    writer = InboxWriter(factory, window=0.005)
    return AcceptWebhook(
        factory, FakeDecoder(), queue, world.clock, [873456], world.switches, writer=writer
    )


async def test_concurrent_deliveries_share_a_commit_and_get_their_own_answers(
    world: World,
) -> None:
    factory, queue = CountingFactory(world), FakeQueue()
    use_case = accept(world, factory, queue)
    bodies = [FakeDecoder().encode(world.record(n)) for n in range(1, 41)]
    results = await asyncio.gather(*(use_case(b) for b in [*bodies, bodies[0]]))
    assert [r.status for r in results[:40]] == ["accepted"] * 40
    assert results[40].status == "duplicate" and results[40].event_id == results[0].event_id
    assert len({r.event_id for r in results}) == 40
    assert factory.commits < 5  # not one per delivery
    assert queue.drains == [873456] * 40  # the fake does not coalesce; the adapters do
    assert {e.id for e in world.store.events.values()} == {r.event_id for r in results}


async def test_a_failed_write_acknowledges_nobody_in_its_batch(world: World) -> None:
    factory, queue = CountingFactory(world), FakeQueue()
    use_case = accept(world, factory, queue)
    factory.fail = RuntimeError("database went away")
    bodies = [FakeDecoder().encode(world.record(n)) for n in range(1, 6)]
    results = await asyncio.gather(*(use_case(b) for b in bodies), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert world.store.events == {} and queue.drains == []
    # The writer recovers: the next deliveries are stored.
    factory.fail = None
    assert (await use_case(bodies[0])).status == "accepted"


async def test_a_lone_delivery_is_written_at_once(world: World) -> None:
    factory, queue = CountingFactory(world), FakeQueue()
    use_case = accept(world, factory, queue)
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await use_case(FakeDecoder().encode(world.record(1)))
    assert result.status == "accepted" and factory.commits == 1
    assert loop.time() - started < 0.5


@pytest.mark.parametrize("max_events", [1, 3])
async def test_batches_are_bounded(world: World, max_events: int) -> None:
    factory = CountingFactory(world)
    writer = InboxWriter(factory, window=0, max_events=max_events)
    use_case = AcceptWebhook(
        factory, FakeDecoder(), FakeQueue(), world.clock, [873456], world.switches, writer=writer
    )
    bodies = [FakeDecoder().encode(world.record(n)) for n in range(1, 7)]
    await asyncio.gather(*(use_case(b) for b in bodies))
    assert factory.commits >= 6 // max_events
