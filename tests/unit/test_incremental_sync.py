"""Issue 22 item 3: a scheduled sync reads only the records changed since the salon's last
successful run (less a safety margin); a full sweep of the window runs for a new salon, a
manual sync, and a salon whose last full sweep is older than `full_sweep_every`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from src.application.errors import GatewayError
from src.domain.booking import BookingStatus
from src.domain.sync_run import RunStatus, SyncKind
from tests.unit.conftest import COMPANY_ID, World

MARGIN = timedelta(minutes=10)


async def test_a_new_salon_is_swept_then_runs_ask_for_changes_since_the_last_run(
    world: World,
) -> None:
    hour_ago = world.clock.now() - timedelta(hours=1)
    world.gateway.put(
        world.record(1, last_change_at=hour_ago), world.record(2, last_change_at=hour_ago)
    )
    first = await world.sync()(COMPANY_ID, "schedule")
    assert (first.kind, first.counts.fetched) == (SyncKind.FULL, 2)
    assert world.gateway.changed_after == [None]

    world.clock.advance(minutes=30)
    quiet = await world.sync()(COMPANY_ID, "schedule")
    assert quiet.status is RunStatus.SUCCEEDED
    assert quiet.kind == SyncKind.INCREMENTAL
    assert world.gateway.changed_after[-1] == first.started_at - MARGIN
    # Nothing changed since: nothing fetched, one request (an empty page) all the same.
    assert quiet.counts.fetched == 0
    assert quiet.counts.requests == 1
    assert world.store.runs[quiet.id].kind == SyncKind.INCREMENTAL  # type: ignore[index]


async def test_a_change_whose_webhook_was_lost_is_read_by_the_next_incremental_run(
    world: World,
) -> None:
    record = world.record(1, status=BookingStatus.CONFIRMED, price=1000)
    world.gateway.put(record)
    await world.sync()(COMPANY_ID, "schedule")
    world.clock.advance(minutes=20)
    # Changed in YClients; its webhook never came.
    world.gateway.put(
        replace(record, status=BookingStatus.COMPLETED, last_change_at=world.clock.now())
    )
    world.clock.advance(minutes=10)

    run = await world.sync()(COMPANY_ID, "schedule")
    assert (run.kind, run.counts.fetched, run.counts.updated) == (SyncKind.INCREMENTAL, 1, 1)
    assert run.counts.requests == 1
    assert world.booking(1).status is BookingStatus.COMPLETED


async def test_a_run_counts_every_request_its_pages_took_retries_and_empty_pages_included(
    world: World,
) -> None:
    world.gateway.attempts_per_page = 3  # each page needed two retries
    empty = await world.sync()(COMPANY_ID, "schedule")
    assert (empty.status, empty.counts.fetched, empty.counts.requests) == (
        RunStatus.SUCCEEDED, 0, 3,
    )  # fmt: skip
    world.gateway.put(*(world.record(i) for i in range(1, 402)))  # three pages of 200
    world.clock.advance(minutes=30)
    full = await world.sync()(COMPANY_ID, "manual")
    assert (full.counts.fetched, full.counts.requests) == (401, 9)
    assert world.store.runs[full.id].counts.requests == 9  # type: ignore[index]


async def test_a_failed_run_counts_the_requests_of_the_page_that_failed(world: World) -> None:
    down = GatewayError("YClients records page 1 failed after 3 attempt(s)")
    down.requests = 3
    world.gateway.fail_with = down
    run = await world.sync()(COMPANY_ID, "schedule")
    assert (run.status, run.counts.requests) == (RunStatus.FAILED, 3)
    assert world.store.runs[run.id].counts.requests == 3  # type: ignore[index]


async def test_a_deletion_is_seen_by_an_incremental_run(world: World) -> None:
    record = world.record(1)
    world.gateway.put(record)
    await world.sync()(COMPANY_ID, "schedule")
    world.clock.advance(minutes=30)
    world.gateway.put(replace(record, deleted=True, last_change_at=world.clock.now()))

    run = await world.sync()(COMPANY_ID, "schedule")
    assert run.kind == SyncKind.INCREMENTAL
    assert world.booking(1).deleted


async def test_a_change_older_than_the_margin_is_caught_by_the_daily_sweep(world: World) -> None:
    record = world.record(
        1, status=BookingStatus.CONFIRMED, last_change_at=world.clock.now() - timedelta(hours=1)
    )
    world.gateway.put(record)
    first = await world.sync()(COMPANY_ID, "schedule")
    # YClients reports a change dated before the last run, beyond the margin (say its
    # clock, or a change that surfaced late): `changed_after` cannot see it.
    world.gateway.put(
        replace(
            record, status=BookingStatus.COMPLETED, last_change_at=first.started_at - 2 * MARGIN
        )
    )
    world.clock.advance(minutes=30)
    missed = await world.sync()(COMPANY_ID, "schedule")
    assert (missed.kind, missed.counts.fetched) == (SyncKind.INCREMENTAL, 0)
    assert world.booking(1).status is BookingStatus.CONFIRMED

    world.clock.advance(hours=24)
    sweep = await world.sync()(COMPANY_ID, "schedule")
    assert sweep.kind == SyncKind.FULL
    assert world.booking(1).status is BookingStatus.COMPLETED
    # And the next scheduled run is incremental again.
    world.clock.advance(minutes=30)
    assert (await world.sync()(COMPANY_ID, "schedule")).kind == SyncKind.INCREMENTAL


async def test_a_manual_sync_is_always_a_full_sweep(world: World) -> None:
    world.gateway.put(world.record(1))
    await world.sync()(COMPANY_ID, "schedule")
    world.clock.advance(minutes=30)
    manual = await world.sync()(COMPANY_ID, "manual")
    assert (manual.kind, manual.counts.fetched) == (SyncKind.FULL, 1)
    assert world.gateway.changed_after[-1] is None
