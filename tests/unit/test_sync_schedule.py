"""Issue 22 item 4: syncs of many salons are spread over the interval (sweeps over the day),
the scheduler's tick enqueues only the salons whose slot has come, at most one run per salon
at a time, and a salon whose YClients calls keep failing backs off alone."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from src.application.errors import GatewayError
from src.application.inbox.admin import SweepInbox
from src.application.ports.yclients import RecordPage
from src.application.use_cases.sync_schedule import SyncActiveSalons
from src.domain.inbox import EventState, WebhookEvent, dedupe_key
from src.domain.salon import Salon
from src.domain.sync_run import RunStatus, SyncKind
from src.domain.sync_schedule import (
    backoff_until,
    next_slot,
    phase,
    run_every,
    sweep_due,
    tick_seconds,
)
from tests.fakes.tasks import FakeQueue
from tests.fakes.yclients import FakeGateway
from tests.unit.conftest import World

INTERVAL = timedelta(minutes=30)
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _seconds_of(times: list[datetime], period: timedelta) -> Counter[int]:
    return Counter(int((t - T0).total_seconds()) % int(period.total_seconds()) for t in times)


def test_1000_salons_due_times_cover_the_interval_at_most_two_a_second() -> None:
    slots = [next_slot(salon_id, T0, INTERVAL) for salon_id in range(1, 1001)]
    assert all(T0 < s <= T0 + INTERVAL for s in slots)
    per_second = _seconds_of(slots, INTERVAL)
    assert max(per_second.values()) <= math.ceil(1000 / INTERVAL.total_seconds()) + 1 == 2
    # Roughly uniform: every minute of the interval holds 1,000 / 30 ± 2 salons.
    per_minute = Counter(int((s - T0).total_seconds() // 60) for s in slots)
    assert len(per_minute) == 30
    assert all(31 <= n <= 36 for n in per_minute.values()), per_minute


def test_the_full_sweeps_of_1000_salons_are_spread_over_the_day() -> None:
    day = timedelta(hours=24)
    companies = range(2_000_001, 2_001_001)
    per_hour = Counter(int((next_slot(c, T0, day) - T0).total_seconds() // 3600) for c in companies)
    assert len(per_hour) == 24
    assert all(40 <= n <= 44 for n in per_hour.values()), per_hour
    # Swept at the salon's slot, not again within the day; never less often than daily after.
    company = 2_000_001
    slot = next_slot(company, T0, day)
    assert not sweep_due(company, slot - timedelta(hours=10), slot - timedelta(seconds=1), day)
    assert sweep_due(company, slot - timedelta(hours=10), slot + timedelta(seconds=1), day)
    assert not sweep_due(company, slot, slot + timedelta(hours=23), day)
    # Swept just before its slot (added then): that sweep counts for the slot.
    assert not sweep_due(company, slot - timedelta(hours=1), slot + timedelta(minutes=1), day)


def test_backoff_doubles_from_one_interval_up_to_the_cap() -> None:
    cap = timedelta(hours=4)
    delays = [backoff_until(n, T0, INTERVAL, cap) - T0 for n in range(1, 7)]
    assert delays == [INTERVAL * k for k in (1, 2, 4, 8, 8, 8)]
    assert backoff_until(10_000, T0, INTERVAL, cap) == T0 + cap


def test_the_tick_is_a_small_fraction_of_the_interval() -> None:
    assert [tick_seconds(s) for s in (15, 30, 300, 1800, 7200)] == [1, 1, 2, 10, 10]
    assert 0 <= phase(1) < 1 and phase(1) != phase(2)


def test_a_salons_runs_start_a_margin_less_than_the_interval_apart() -> None:
    # The margin is the time a run takes to be claimed, queued and done: a lost webhook's
    # change is then read within one interval, not one interval plus a run.
    assert run_every(timedelta(seconds=300)) == timedelta(seconds=285)
    assert run_every(INTERVAL) == timedelta(minutes=28, seconds=30)
    assert run_every(timedelta(seconds=30)) == timedelta(seconds=28)  # two 1-second ticks
    for seconds in (15, 30, 300, 1800, 7200):
        every = run_every(timedelta(seconds=seconds)).total_seconds()
        assert seconds / 2 <= every <= seconds - 2 * tick_seconds(seconds)


async def _add_salons(world: World, n: int, first: int = 1) -> list[int]:
    companies = list(range(first, first + n))
    async with world.uow_factory() as uow:
        for company in companies:
            salon, _ = Salon.create(
                company, f"Salon {company}", region="RU", timezone="Europe/Moscow", now=T0
            )
            await uow.salons.add_if_missing(salon)
        await uow.commit()
    return companies


async def _tick_for(world: World, queue: FakeQueue, duration: timedelta, step: float) -> None:
    """The scheduler ticking every `step` seconds for `duration` (the clock moves)."""
    tick = SyncActiveSalons(world.uow_factory, queue, world.clock, world.switches, INTERVAL)
    end = world.clock.now() + duration
    while world.clock.now() < end:
        world.clock.advance(seconds=step)
        await tick()


async def test_ticks_enqueue_each_salon_once_per_interval_spread_over_it(world: World) -> None:
    world.clock.current = T0
    companies = await _add_salons(world, 200)
    queue = FakeQueue()
    tick = SyncActiveSalons(world.uow_factory, queue, world.clock, world.switches, INTERVAL)
    # The first tick only gives each salon its slot: no herd when many are added at once.
    assert await tick() == 0
    enqueued: list[tuple[float, int]] = []
    while world.clock.now() < T0 + 2 * run_every(INTERVAL):
        world.clock.advance(seconds=20)
        before = len(queue.syncs)
        await tick()
        elapsed = (world.clock.now() - T0).total_seconds()
        enqueued += [(elapsed, cid) for cid, _, _ in queue.syncs[before:]]
    per_salon = Counter(cid for _, cid in enqueued)
    assert set(per_salon) == set(companies)
    assert set(per_salon.values()) == {2}  # once in each of the two run periods
    # Each salon's second run starts one period after its first (give or take a tick), so
    # a change made just after the first run read its pages is read within one interval.
    starts: dict[int, list[float]] = {}
    for at, cid in enqueued:
        starts.setdefault(cid, []).append(at)
    gaps = {round(b - a) for a, b in starts.values()}
    every = run_every(INTERVAL).total_seconds()
    assert all(every - 20 <= gap <= every + 20 for gap in gaps), gaps
    assert max(gaps) + 20 <= INTERVAL.total_seconds() - 60
    per_tick = Counter(at for at, _ in enqueued)
    assert max(per_tick.values()) <= math.ceil(200 / 90) + 1  # ~2 of 200 every 20 s
    assert all(trigger == "schedule" for _, trigger, _ in queue.syncs)


async def test_a_paused_salon_is_not_scheduled_and_disabled_yclients_enqueues_nothing(
    world: World,
) -> None:
    world.clock.current = T0
    await _add_salons(world, 3)
    async with world.uow_factory() as uow:
        paused = await uow.salons.get(2)
        assert paused is not None
        paused.status = paused.status.PAUSED
        await uow.salons.save(paused)
        await uow.commit()
    queue = FakeQueue()
    await _tick_for(world, queue, INTERVAL * 1.1, 5)
    assert sorted(c for c, _, _ in queue.syncs) == [1, 3]
    world.switches.yclients_enabled = False
    await _tick_for(world, queue, INTERVAL * 1.1, 5)
    assert len(queue.syncs) == 2


class _FailingFor(FakeGateway):
    """YClients answers errors for one company, normally for the others."""

    def __init__(self, failing: int) -> None:
        super().__init__()
        self.failing = failing
        self.calls: Counter[int] = Counter()

    async def record_pages(  # type: ignore[override]
        self, company_id: int, *args: Any, **kwargs: Any
    ) -> AsyncIterator[RecordPage]:
        self.calls[company_id] += 1
        if company_id == self.failing:
            raise GatewayError("YClients answered 502 after 3 attempts")
        async for page in super().record_pages(company_id, *args, **kwargs):
            yield page


async def test_a_failing_salon_backs_off_while_the_others_keep_their_schedule(
    world: World,
) -> None:
    world.clock.current = T0
    companies = await _add_salons(world, 4)
    world.gateway = gateway = _FailingFor(failing=3)
    sync = world.sync(interval=INTERVAL, backoff_cap=timedelta(hours=4))  # type: ignore[arg-type]
    queue = FakeQueue()
    tick = SyncActiveSalons(world.uow_factory, queue, world.clock, world.switches, INTERVAL)
    await tick()  # slots given
    done = 0
    # Six hours of ticks; every enqueued sync runs at once (as a free worker would).
    while world.clock.now() < T0 + timedelta(hours=6):
        world.clock.advance(seconds=60)
        await tick()
        for company_id, trigger, run_id in queue.syncs[done:]:
            await sync(company_id, trigger, run_id)
        done = len(queue.syncs)
    healthy = [gateway.calls[c] for c in companies if c != 3]
    assert set(healthy) <= {12, 13}  # every 28.5 minutes for 6 hours
    # The failing one: after 1, 2, 4, 8 intervals (doubling, capped at 4 hours).
    assert 3 <= gateway.calls[3] <= 5
    async with world.uow_factory() as uow:
        failing = await uow.salons.get(3)
        ok = await uow.salons.get(4)
    assert failing is not None and ok is not None
    assert failing.sync_failures == gateway.calls[3]
    assert failing.next_sync_at is not None and ok.next_sync_at is not None
    assert failing.next_sync_at - world.clock.now() > INTERVAL
    assert ok.sync_failures == 0

    # YClients recovers for it: one success resets the count, the slot is back to normal.
    gateway.failing = 0
    world.clock.current = failing.next_sync_at
    await tick()
    for company_id, trigger, run_id in queue.syncs[done:]:
        run = await sync(company_id, trigger, run_id)
        if company_id == 3:
            assert run.status is RunStatus.SUCCEEDED and run.kind == SyncKind.FULL
    async with world.uow_factory() as uow:
        recovered = await uow.salons.get(3)
    assert recovered is not None and recovered.sync_failures == 0
    assert recovered.next_sync_at is not None
    assert recovered.next_sync_at - world.clock.now() <= INTERVAL


async def test_at_most_one_run_per_salon_at_a_time(world: World) -> None:
    """Two workers handed the same salon (a tick and a manual request, or a redelivery):
    the salon's lock lets one run, the other is SKIPPED without a YClients call."""
    world.clock.current = T0
    await _add_salons(world, 1)
    world.gateway.put(world.record(1, company_id=1))
    entered = asyncio.Event()
    release = asyncio.Event()
    original = world.gateway.record_pages

    async def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        entered.set()
        await release.wait()
        async for page in original(*args, **kwargs):
            yield page

    world.gateway.record_pages = slow  # type: ignore[method-assign]
    sync = world.sync()
    first = asyncio.create_task(sync(1, "schedule"))
    await entered.wait()
    second = await sync(1, "schedule")
    release.set()
    first_run = await first
    assert second.status is RunStatus.SKIPPED
    assert first_run.status is RunStatus.SUCCEEDED
    assert len(world.gateway.changed_after) == 1


async def test_the_inbox_sweep_releases_held_webhooks_of_active_salons(world: World) -> None:
    """The tick no longer touches webhooks (one statement); the sweep (every minute) releases
    what a process held before it saw the salon's resume, and kicks that salon's drain."""
    world.clock.current = T0
    await _add_salons(world, 2)
    body = b'{"company_id": 1}'
    world.store.events[1] = WebhookEvent(
        1, "record", 5, "update", body, dedupe_key(body), T0, EventState.HELD, id=1
    )
    queue = FakeQueue()
    await SyncActiveSalons(world.uow_factory, queue, world.clock, world.switches, INTERVAL)()
    assert world.store.events[1].state is EventState.HELD
    await SweepInbox(world.uow_factory, queue, world.clock, world.switches)()
    assert world.store.events[1].state is EventState.PENDING
    assert queue.drains == [1]
