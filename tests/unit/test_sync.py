from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from src.application.errors import GatewayError, YClientsDisabled
from src.domain.booking import BookingStatus
from src.domain.sync_run import RunStatus
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.unit.conftest import World


class CountingFactory(FakeUnitOfWorkFactory):
    """Counts repository calls: the sync must not make one query per record."""

    def __init__(self, store) -> None:  # type: ignore[no-untyped-def]
        super().__init__(store)
        self.calls: Counter[str] = Counter()

    def __call__(self):  # type: ignore[no-untyped-def]
        uow = super().__call__()
        for repo_name in ("users", "bookings", "ledger", "levels"):
            repo = getattr(uow, repo_name)
            for name in dir(repo):
                if name.startswith("_") or not callable(getattr(repo, name)):
                    continue
                setattr(repo, name, self._counted(f"{repo_name}.{name}", getattr(repo, name)))
        return uow

    def _counted(self, label, fn):  # type: ignore[no-untyped-def]
        async def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls[label] += 1
            return await fn(*args, **kwargs)

        return wrapper


async def _members_and_records(world: World, n: int) -> None:
    for i in range(n):
        await world.user(f"m{i}@example.com", phone=f"+7916{i:07d}")
    now = world.clock.now()
    for i in range(n):
        kind = i % 3
        world.gateway.put(
            world.record(
                1000 + i,
                status=BookingStatus.COMPLETED,
                appointment_at=now - timedelta(days=1),
                email=f"m{i}@example.com" if kind == 0 else None,
                phone=f"8 916 {i:07d}" if kind == 1 else None,
                comment="" if kind != 2 else "walk-in",
            )
        )


async def test_sync_counts_and_run_row(world: World) -> None:
    await _members_and_records(world, 9)
    world.gateway.page_size = 4
    run = await world.sync()(873456, "manual")
    assert run.status is RunStatus.SUCCEEDED
    c = run.counts
    assert (c.fetched, c.created, c.updated, c.unchanged) == (9, 9, 0, 0)
    assert (c.linked, c.unmatched) == (6, 3)
    assert c.points_awarded == 6 * 75
    assert world.store.runs[run.id] == run  # type: ignore[index]
    again = await world.sync()(873456, "schedule")
    assert (again.counts.created, again.counts.unchanged, again.counts.points_awarded) == (0, 9, 0)


async def test_run_is_logged_with_its_counts(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Logging at INFO (as the worker does) must not break the run: an `extra` key that
    # clashes with a LogRecord attribute (`created`) makes logging raise KeyError.
    await _members_and_records(world, 3)
    caplog.set_level("INFO")
    run = await world.sync()(873456, "manual")
    assert run.status is RunStatus.SUCCEEDED
    [line] = [r for r in caplog.records if r.getMessage() == "sync_run_finished"]
    assert (line.fetched, line.created_bookings, line.status) == (3, 3, "SUCCEEDED")  # type: ignore[attr-defined]


async def test_queries_per_page_do_not_depend_on_page_size(world: World) -> None:
    await _members_and_records(world, 60)
    counting = CountingFactory(world.store)
    world_factory = counting
    from src.application.use_cases.sync import SyncBookings

    world.gateway.page_size = 20
    sync = SyncBookings(world_factory, world.gateway, world.clock, world.lock, world.switches)
    await sync(873456)
    pages = 3
    per_page = {k: v / pages for k, v in counting.calls.items()}
    # per page: one lookup of stored bookings, one of members, one upsert (returning the
    # rows locked), accounts, ledger, loyalty columns, balances
    for label in ("bookings.get_versions", "users.find_contacts", "bookings.upsert_and_lock",
                  "bookings.lock_many", "ledger.lock_accounts", "ledger.append",
                  "bookings.save_loyalty", "ledger.save_accounts"):  # fmt: skip
        assert per_page.get(label, 0) <= 1, (label, counting.calls)
    assert sum(counting.calls.values()) <= pages * 7 + 2, counting.calls


async def test_window_is_past_and_future_days(world: World) -> None:
    now = world.clock.now()
    world.gateway.put(
        world.record(1, appointment_at=now - timedelta(days=29)),
        world.record(2, appointment_at=now - timedelta(days=40)),
        world.record(3, appointment_at=now + timedelta(days=5)),
    )
    run = await world.sync(past_days=30, future_days=10)(873456)
    assert run.counts.fetched == 2
    assert {b.record_id for b in world.store.bookings.values()} == {1, 3}


async def test_gateway_failure_marks_run_failed_and_keeps_what_was_stored(world: World) -> None:
    world.gateway.put(world.record(1, appointment_at=world.clock.now()))
    await world.sync()(873456)
    world.gateway.fail_with = GatewayError("YClients answered 503 after 5 attempts")
    run = await world.sync()(873456)
    assert run.status is RunStatus.FAILED and "503" in (run.error or "")
    assert len(world.store.bookings) == 1


async def test_disabled_integration_refuses(world: World) -> None:
    world.switches.yclients_enabled = False
    with pytest.raises(YClientsDisabled, match="YCLIENTS_ENABLED=false"):
        await world.sync()(873456)


async def test_second_sync_of_same_company_is_skipped(world: World) -> None:
    world.lock.held.add(873456)
    run = await world.sync()(873456)
    assert run.status is RunStatus.SKIPPED and run.error == "skipped: already running"


async def test_manual_request_queues_a_run_that_the_worker_fills_in(world: World) -> None:
    from src.application.use_cases.sync_schedule import RequestSync
    from tests.fakes.tasks import FakeQueue

    queue = FakeQueue()
    request = RequestSync(world.uow_factory, queue, world.clock, world.switches, [873456, 42])
    runs = await request()
    assert [(r.company_id, r.status) for r in runs] == [
        (873456, RunStatus.QUEUED), (42, RunStatus.QUEUED),
    ]  # fmt: skip
    assert queue.syncs == [(873456, "manual", runs[0].id), (42, "manual", runs[1].id)]
    world.gateway.put(world.record(1, appointment_at=world.clock.now()))
    done = await world.sync()(873456, "manual", runs[0].id)
    assert done.id == runs[0].id and done.status is RunStatus.SUCCEEDED
    assert world.store.runs[runs[0].id].counts.created == 1  # type: ignore[index]
    with pytest.raises(Exception, match="company_id: 7 is not a salon"):
        await request(7)


async def test_a_failing_page_fails_the_run_while_pages_are_still_coming(world: World) -> None:
    # The fetcher is pages ahead (its queue full) when a page cannot be written: the run
    # must end FAILED, not wait forever for a fetcher blocked on the full queue.
    for i in range(40):
        world.gateway.put(world.record(1000 + i, appointment_at=world.clock.now()))
    world.gateway.page_size = 2
    sync = world.sync()
    factory = sync.uow_factory

    class Broken(type(factory)):  # type: ignore[misc]
        def __call__(self):  # type: ignore[no-untyped-def]
            uow = super().__call__()

            async def upsert_and_lock(*_args, **_kwargs):  # type: ignore[no-untyped-def]
                raise RuntimeError("disk full")

            uow.bookings.upsert_and_lock = upsert_and_lock
            return uow

    sync = replace(sync, uow_factory=Broken(world.store))
    loop = asyncio.get_running_loop()
    started = loop.time()
    run = await asyncio.wait_for(sync(873456), timeout=5)
    assert loop.time() - started < 2
    assert run.status is RunStatus.FAILED and "disk full" in (run.error or "")
