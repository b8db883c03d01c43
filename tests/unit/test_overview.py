"""Issue 21 item 8: the overview page is one query use case (`Overview`), one unit of work,
giving what the console read before through one use case call per salon and per state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from src.application.inbox.admin import WebhookEventQueries
from src.application.use_cases.overview import Overview
from src.application.use_cases.sync import SyncRunQueries
from src.domain.inbox import EventState, WebhookEvent
from src.domain.sync_run import RunStatus, SyncRun
from tests.fakes.uow import CountingUnitOfWorkFactory
from tests.unit.conftest import World

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SALONS = (101, 202)


async def test_overview_reads_runs_and_inbox_in_one_unit_of_work(world: World) -> None:
    async with world.uow_factory() as uow:
        for n in range(7):  # salon 101: seven runs (five shown); salon 202: none
            await uow.sync_runs.add(
                SyncRun(101, "schedule", T0 + timedelta(minutes=n), RunStatus.SUCCEEDED)
            )
        events = [
            WebhookEvent(101, "record", n, "update", b"{}", f"k{n}", T0 + timedelta(minutes=n),
                         state=state)
            for n, state in enumerate([EventState.PENDING, EventState.DEAD, EventState.DEAD])
        ]  # fmt: skip
        await uow.inbox.add_many(events)
        await uow.commit()
    counting = CountingUnitOfWorkFactory(world.uow_factory)
    view = await Overview(counting)(SALONS)
    assert counting.opened == 1
    runs, inbox = SyncRunQueries(world.uow_factory), WebhookEventQueries(world.uow_factory)
    assert view.runs == {cid: (await runs.page(cid, 5, 0)).items for cid in SALONS}
    assert [len(view.runs[cid]) for cid in SALONS] == [5, 0]
    assert view.inbox == {s: (await inbox.page(s, 1, 0)).total for s in EventState}
    assert view.inbox[EventState.DEAD] == 2 and view.inbox[EventState.PENDING] == 1
    assert view.last_webhook == T0 + timedelta(minutes=2)


async def test_sync_runs_by_ids_read_in_one_unit_of_work(world: World) -> None:
    async with world.uow_factory() as uow:
        runs = [await uow.sync_runs.add(SyncRun(cid, "manual", T0)) for cid in SALONS]
        await uow.commit()
    counting = CountingUnitOfWorkFactory(world.uow_factory)
    ids = [runs[1].id, 404, runs[0].id]
    got = await SyncRunQueries(counting).runs(ids)  # type: ignore[arg-type]
    assert [r.id for r in got] == [runs[1].id, runs[0].id]  # in the order asked, none missing
    assert counting.opened == 1
