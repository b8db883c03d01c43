"""The salons table on PostgreSQL and SQLite: the same behaviour as the fake."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.use_cases.salons import EnsureSalons, SalonDefaults
from src.domain.inbox import EventState, WebhookEvent, dedupe_key
from src.domain.salon import Salon, SalonStatus, secret_digest
from src.domain.sync_run import RunStatus, SyncRun
from tests.fakes.clock import FakeClock
from tests.fakes.uow import FakeUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["postgres", "sqlite", "fake"])
def factory(request: pytest.FixtureRequest) -> SqlUnitOfWorkFactory:
    if request.param == "fake":
        return FakeUnitOfWorkFactory()  # type: ignore[return-value]
    name = "pg_uow_factory" if request.param == "postgres" else "sqlite_uow_factory"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def event(company_id: int, n: int, state: EventState, at: datetime = NOW) -> WebhookEvent:
    body = f'{{"company_id": {company_id}, "n": {n}}}'.encode()
    return WebhookEvent(company_id, "record", n, "create", body, dedupe_key(body), at, state)


async def test_salons_are_stored_read_changed_and_added_once(
    factory: SqlUnitOfWorkFactory,
) -> None:
    salon, secret = Salon.create(11, "Первый", region="RU", timezone="Europe/Moscow", now=NOW)
    async with factory() as uow:
        assert await uow.salons.add_if_missing(salon) is True
        assert await uow.salons.add_if_missing(replace(salon, name="Twice")) is False
        await uow.commit()
    async with factory() as uow:
        got = await uow.salons.get(11)
        assert got is not None
        assert replace(got, id=None) == salon
        assert got.secret_digest == secret_digest(secret) and got.accepts(secret, None)
        changed = got.changed(NOW + timedelta(hours=1), status=SalonStatus.PAUSED, name="Новый")
        assert await uow.salons.save(changed) is True
        assert await uow.salons.save(replace(changed, company_id=999)) is False
        await uow.commit()
    async with factory() as uow:
        other, _ = Salon.create(5, "Second", region="KZ", timezone="Asia/Almaty", now=NOW)
        await uow.salons.add_if_missing(other)
        await uow.commit()
    async with factory() as uow:
        assert [s.company_id for s in await uow.salons.all()] == [5, 11]
        assert await uow.salons.active_ids() == [5]
        stored = await uow.salons.get(11)
    assert stored is not None
    assert (stored.name, stored.status, stored.changed_at) == (
        "Новый",
        SalonStatus.PAUSED,
        NOW + timedelta(hours=1),
    )
    assert stored.created_at == NOW


async def test_held_webhooks_are_released_per_company_or_for_active_salons(
    factory: SqlUnitOfWorkFactory,
) -> None:
    active, _ = Salon.create(1, "A", region="RU", timezone="UTC", now=NOW)
    paused, _ = Salon.create(2, "P", region="RU", timezone="UTC", now=NOW)
    paused.status = SalonStatus.PAUSED
    async with factory() as uow:
        await uow.salons.add_if_missing(active)
        await uow.salons.add_if_missing(paused)
        await uow.inbox.add_many([
            event(1, 1, EventState.HELD), event(2, 2, EventState.HELD),
            event(3, 3, EventState.HELD), event(1, 4, EventState.PENDING),
        ])  # fmt: skip
        await uow.commit()
    later = NOW + timedelta(minutes=1)
    async with factory() as uow:
        assert await uow.salons.release_held(None, later) == {1: 1}  # active salons only
        assert await uow.salons.release_held([3], later) == {3: 1}
        await uow.commit()
    async with factory() as uow:
        states = {e.resource_id: e.state for e in (await uow.inbox.query(None, 10, 0)).items}
    assert states == {
        1: EventState.PENDING,
        2: EventState.HELD,
        3: EventState.PENDING,
        4: EventState.PENDING,
    }


async def test_activity_counts_webhooks_since_held_and_last_successful_sync(
    factory: SqlUnitOfWorkFactory,
) -> None:
    yesterday = NOW - timedelta(days=1)
    async with factory() as uow:
        await uow.inbox.add_many([
            event(1, 1, EventState.PROCESSED), event(1, 2, EventState.HELD),
            event(1, 3, EventState.PROCESSED, yesterday), event(9, 4, EventState.HELD),
        ])  # fmt: skip
        done = SyncRun(1, "schedule", NOW, RunStatus.SUCCEEDED, finished_at=NOW)
        await uow.sync_runs.add(done)
        await uow.sync_runs.add(
            SyncRun(1, "schedule", NOW, RunStatus.FAILED, finished_at=NOW + timedelta(minutes=1))
        )
        await uow.commit()
    async with factory() as uow:
        activity = await uow.salons.activity(NOW - timedelta(hours=1))
    by_company = {a.company_id: a for a in activity}
    assert sorted(by_company) == [1, 9]
    one = by_company[1]
    assert (one.webhooks_since, one.held, one.last_sync_at, one.last_sync_status) == (
        2,
        1,
        NOW,
        "FAILED",
    )
    nine = by_company[9]
    assert (nine.webhooks_since, nine.held, nine.last_sync_at) == (1, 1, None)


async def test_salons_from_the_environment_are_created_once_by_concurrent_starts(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    ensure = EnsureSalons(pg_uow_factory, FakeClock(NOW), [873456, 42], SalonDefaults())
    created = await asyncio.gather(*(ensure() for _ in range(6)), return_exceptions=True)
    assert not [c for c in created if isinstance(c, BaseException)], created
    assert sorted(cid for batch in created for cid in batch) == [42, 873456]  # type: ignore[union-attr]
    assert await ensure() == []
    async with pg_uow_factory() as uow:
        salons = await uow.salons.all()
    assert [(s.company_id, s.accepts_shared_secret, s.region) for s in salons] == [
        (42, True, "RU"),
        (873456, True, "RU"),
    ]
