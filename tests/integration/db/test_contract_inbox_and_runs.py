"""InboxRepository and SyncRunRepository contract: fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from src.application.ports.uow import UnitOfWorkFactory
from src.domain.inbox import EventState, WebhookEvent, dedupe_key
from src.domain.sync_run import RunStatus, SyncCounts, SyncKind, SyncRun
from tests.integration.db.helpers import COMPANY, T0


def event(n: int, **kw: object) -> WebhookEvent:
    body = f'{{"resource": "record", "resource_id": {n}, "status": "update"}}'.encode()
    values: dict[str, object] = {
        "company_id": COMPANY,
        "resource": "record",
        "resource_id": n,
        "event_status": "update",
        "body": body,
        "dedupe_key": dedupe_key(body),
        "received_at": T0 + timedelta(seconds=n),
    }
    values.update(kw)
    return WebhookEvent(**values)  # type: ignore[arg-type]


async def test_inbox_dedupes_by_key_across_calls(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        [(first_id, created)] = await uow.inbox.add_many([event(1)])
        [(again_id, again_created)] = await uow.inbox.add_many(
            [event(1, received_at=T0 + timedelta(days=1))]
        )
        await uow.commit()
    assert (created, again_created, again_id) == (True, False, first_id)
    async with uow_factory() as uow:
        got = await uow.inbox.get(first_id)
        assert await uow.inbox.get(first_id + 1000) is None
    assert got == replace(event(1), id=first_id)


async def test_inbox_add_many_dedupes_within_the_batch_and_against_stored(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        [(stored_id, _)] = await uow.inbox.add_many([event(1)])
        await uow.commit()
    async with uow_factory() as uow:
        results = await uow.inbox.add_many([event(2), event(1), event(3), event(2)])
        assert await uow.inbox.add_many([]) == []
        await uow.commit()
    (two, two_new), (one, one_new), (three, three_new), (two_again, two_again_new) = results
    assert (two_new, one_new, three_new, two_again_new) == (True, False, True, False)
    assert (one, two_again) == (stored_id, two)
    assert len({stored_id, two, three}) == 3
    async with uow_factory() as uow:
        assert (await uow.inbox.get(three)) == replace(event(3), id=three)


async def test_inbox_save_writes_the_outcome(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        [(event_id, _)] = await uow.inbox.add_many([event(1)])
        await uow.commit()
    async with uow_factory() as uow:
        e = await uow.inbox.get(event_id)
        assert e is not None
        e.state, e.attempts, e.last_error = EventState.DEAD, 5, "YClients said 500"
        e.processed_at = T0 + timedelta(minutes=1)
        await uow.inbox.save(e)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.inbox.get(event_id) == e


async def test_inbox_query_and_pending_before(uow_factory: UnitOfWorkFactory) -> None:
    states = [EventState.PENDING, EventState.PROCESSED, EventState.PENDING, EventState.IGNORED,
              EventState.PENDING]  # fmt: skip
    async with uow_factory() as uow:
        added = await uow.inbox.add_many([event(n, state=s) for n, s in enumerate(states)])
        ids = [event_id for event_id, _ in added]
        await uow.commit()
    async with uow_factory() as uow:
        everything = await uow.inbox.query(None, limit=2, offset=0)
        pending = await uow.inbox.query(EventState.PENDING, limit=10, offset=1)
        dead = await uow.inbox.query(EventState.DEAD, limit=10, offset=0)
        # received_at is T0 + n seconds: before T0+4s leaves out event 4.
        stale = await uow.inbox.pending_before(T0 + timedelta(seconds=4), limit=10)
        first = await uow.inbox.pending_before(T0 + timedelta(days=1), limit=1)
    assert ([e.id for e in everything.items], everything.total) == ([ids[4], ids[3]], 5)
    assert ([e.id for e in pending.items], pending.total) == ([ids[2], ids[0]], 3)
    assert (dead.items, dead.total) == ([], 0)
    assert stale == [ids[0], ids[2]]
    assert first == [ids[0]]


async def test_sync_runs_add_save_get_query(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        a = await uow.sync_runs.add(SyncRun(COMPANY, "schedule", started_at=T0))
        b = await uow.sync_runs.add(SyncRun(COMPANY + 1, "manual", started_at=T0))
        c = await uow.sync_runs.add(SyncRun(COMPANY, "cli", started_at=T0 + timedelta(hours=1)))
        await uow.commit()
    assert a.id is not None and a.status is RunStatus.RUNNING and a.counts == SyncCounts()
    a.status, a.finished_at = RunStatus.SUCCEEDED, T0 + timedelta(minutes=2)
    a.counts = SyncCounts(fetched=200, created=150, updated=30, unchanged=20, linked=120,
                          unmatched=30, points_awarded=Decimal("1234.56"), errors=2)  # fmt: skip
    async with uow_factory() as uow:
        await uow.sync_runs.save(a)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.sync_runs.get(a.id) == a
        assert await uow.sync_runs.get(a.id + 1000) is None
        mine = await uow.sync_runs.query(COMPANY, limit=10, offset=0)
        everything = await uow.sync_runs.query(None, limit=1, offset=1)
    assert [r.id for r in mine.items] == [c.id, a.id] and mine.total == 2
    assert [r.id for r in everything.items] == [b.id] and everything.total == 3


async def test_sync_runs_last_succeeded_of_a_kind(uow_factory: UnitOfWorkFactory) -> None:
    def run(minutes: int, kind: SyncKind, status: RunStatus = RunStatus.SUCCEEDED) -> SyncRun:
        return SyncRun(COMPANY, "schedule", T0 + timedelta(minutes=minutes), status=status,
                       kind=kind, counts=SyncCounts(requests=minutes))  # fmt: skip

    async with uow_factory() as uow:
        assert await uow.sync_runs.last_succeeded(COMPANY) is None
        full = await uow.sync_runs.add(run(0, SyncKind.FULL))
        incremental = await uow.sync_runs.add(run(30, SyncKind.INCREMENTAL))
        await uow.sync_runs.add(run(60, SyncKind.FULL, RunStatus.FAILED))
        await uow.sync_runs.add(SyncRun(COMPANY + 1, "schedule", T0 + timedelta(hours=2),
                                        status=RunStatus.SUCCEEDED))  # fmt: skip
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.sync_runs.last_succeeded(COMPANY) == incremental
        assert await uow.sync_runs.last_succeeded(COMPANY, SyncKind.FULL) == full
        assert (await uow.sync_runs.get(incremental.id)).kind == SyncKind.INCREMENTAL  # type: ignore[union-attr]
    assert incremental.counts.requests == 30
