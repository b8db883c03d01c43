"""Issue 16 on PostgreSQL: two workers drain one backlog of 1,000 webhook events at the same
time, each claiming batches with FOR UPDATE SKIP LOCKED. Every event is processed exactly once
(PROCESSED after one attempt, claimed by one worker), and the ledger holds: each booking's net
points are its newest version's entitlement whatever order the versions arrived in, and the
member's balance is the sum of the ledger. (Which level a visit is credited at depends on the
order visits complete in, so a completed visit's points are one of the levels' amounts.)"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from src.adapters.db.engine import make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.domain.client_codes import comment_line
from src.domain.inbox import WebhookEvent, dedupe_key
from src.entrypoints.bootstrap import Container, build_container
from tests.factories import COMPANY_ID
from tests.fakes.auth import FakeHasher
from tests.fakes.yclients import FakeGateway
from tests.integration.db.helpers import add_user
from tests.integration.db.test_batching import counted
from tests.integration.http.conftest import make_settings, webhook_body

EVENTS = 1_000
RECORDS = 400
CODE = "MARIA234"
PRICE = Decimal("2500.00")
# A completed visit earns 3, 5 or 7 % (Bronze, Silver, Gold: the level grows with the spend).
EARNED = {PRICE * percent / 100 for percent in (3, 5, 7)}
MOSCOW = timedelta(hours=3)


def _version(record_id: int, attendance: int, minute: int) -> bytes:
    changed = datetime(2026, 11, 14, 12, 0, tzinfo=UTC) + timedelta(minutes=minute) + MOSCOW
    status = "create" if minute == 0 else "update"
    body = json.loads(webhook_body(record_id, attendance=attendance, comment=comment_line(CODE)))
    body["status"] = status
    body["data"]["last_change_date"] = changed.strftime("%Y-%m-%dT%H:%M:%S+0300")
    return json.dumps(body, ensure_ascii=False).encode()


def _backlog() -> tuple[list[bytes], dict[int, bool]]:
    """1,000 bodies in a shuffled order (newer versions often before older ones): every record
    pending then completed; every third one then cancelled; the rest of the 1,000 are
    re-deliveries of a completed version written differently (another dedupe key, the same
    version). Returns the bodies and whether each record ends completed."""
    rng = random.Random(16)
    bodies: list[bytes] = []
    completed: dict[int, bool] = {}
    for n in range(RECORDS):
        record_id = 900_000_001 + n
        bodies += [_version(record_id, 0, 0), _version(record_id, 1, 1)]
        cancelled = n % 3 == 0
        if cancelled:
            bodies.append(_version(record_id, -1, 2))
        completed[record_id] = not cancelled
    while len(bodies) < EVENTS:
        record_id = 900_000_001 + rng.randrange(RECORDS)
        again = json.loads(_version(record_id, 1, 1))
        bodies.append((json.dumps(again, ensure_ascii=False) + " " * len(bodies)).encode())
    rng.shuffle(bodies)
    return bodies, completed


@pytest.fixture
async def workers(
    pg_uow_factory: SqlUnitOfWorkFactory, pg_url: str
) -> AsyncIterator[tuple[Container, Container]]:
    """Two containers as two worker processes would have: each its own engine and pool."""
    containers, engines = [], []
    for _ in range(2):
        engine = make_engine(pg_url)
        engines.append(engine)
        containers.append(
            build_container(
                make_settings(pg_url, INBOX_BATCH_SIZE=50),
                uow_factory=SqlUnitOfWorkFactory(engine),
                gateway=FakeGateway(),
                hasher=FakeHasher(),
            )
        )
    yield containers[0], containers[1]
    for container in containers:
        await container.aclose()
    for engine in engines:
        await engine.dispose()


async def test_two_workers_drain_one_backlog_each_event_once(
    pg_uow_factory: SqlUnitOfWorkFactory, workers: tuple[Container, Container]
) -> None:
    member = await add_user(pg_uow_factory, code=CODE)
    bodies, completed = _backlog()
    received = datetime.now(UTC) - timedelta(minutes=1)
    async with pg_uow_factory() as uow:
        ids = await uow.inbox.add_many([
            WebhookEvent(873456, "record", json.loads(b)["resource_id"], json.loads(b)["status"],
                         b, dedupe_key(b), received)
            for b in bodies
        ])  # fmt: skip
        await uow.commit()
    assert len({i for i, _ in ids}) == EVENTS

    first, second = workers
    drained = await asyncio.gather(
        first.drain_inbox.batches(max_batches=100), second.drain_inbox.batches(max_batches=100)
    )
    done = [d.processed for d in drained]

    assert sum(done) == EVENTS, done  # each event processed by exactly one worker
    assert all(n > 0 for n in done), done  # and both took part
    async with pg_uow_factory.engine.connect() as conn:
        states = (
            await conn.execute(
                text("SELECT state, attempts, count(*) FROM webhook_events GROUP BY 1, 2")
            )
        ).all()
        net = dict(
            (await conn.execute(text(
                "SELECT b.yclients_record_id, coalesce(sum(t.amount), 0) FROM bookings b "
                "LEFT JOIN loyalty_transactions t ON t.booking_id = b.id GROUP BY 1"
            ))).all()
        )  # fmt: skip
        awards = dict(
            (await conn.execute(text(
                "SELECT b.yclients_record_id, count(*) FILTER (WHERE t.kind = 'ACCRUAL') - "
                "count(*) FILTER (WHERE t.kind = 'REVERSAL') FROM bookings b "
                "LEFT JOIN loyalty_transactions t ON t.booking_id = b.id GROUP BY 1"
            ))).all()
        )  # fmt: skip
        balance, ledger_sum = (
            await conn.execute(
                text(
                    "SELECT a.balance, (SELECT coalesce(sum(amount), 0) FROM loyalty_transactions"
                    " WHERE user_id = :u) FROM loyalty_accounts a WHERE a.user_id = :u"
                ),
                {"u": member.id},
            )
        ).one()
    assert states == [("PROCESSED", 1, EVENTS)]
    assert net.keys() == completed.keys()
    for record_id, ends_completed in completed.items():
        if ends_completed:
            assert net[record_id] in EARNED, (record_id, net[record_id])
        else:
            assert net[record_id] == 0, (record_id, net[record_id])
        assert awards[record_id] == int(ends_completed), record_id  # credited once at most
    assert balance == ledger_sum == sum(net.values())


def _events(bodies: list[bytes]) -> list[WebhookEvent]:
    received = datetime.now(UTC) - timedelta(minutes=1)
    out = []
    for b in bodies:
        envelope = json.loads(b)
        out.append(
            WebhookEvent(
                COMPANY_ID,
                "record",
                envelope["resource_id"],
                envelope["status"],
                b,
                dedupe_key(b),
                received,
            )
        )
    return out


async def _store(factory: SqlUnitOfWorkFactory, bodies: list[bytes]) -> list[int]:
    async with factory() as uow:
        ids = [i for i, _ in await uow.inbox.add_many(_events(bodies))]
        await uow.commit()
    return ids


@pytest.fixture
async def container(pg_uow_factory: SqlUnitOfWorkFactory, pg_url: str) -> AsyncIterator[Container]:
    container = build_container(
        make_settings(pg_url, INBOX_BATCH_SIZE=500),
        uow_factory=pg_uow_factory,
        gateway=FakeGateway(),
        hasher=FakeHasher(),
    )
    yield container
    await container.aclose()


async def test_a_batch_costs_the_same_statements_at_50_and_200_events(
    pg_uow_factory: SqlUnitOfWorkFactory, container: Container
) -> None:
    await add_user(pg_uow_factory, code=CODE)
    counts = []
    for first, size in ((910_000_001, 50), (920_000_001, 200)):
        # Completed visits of a member: every event links, awards and writes a ledger entry.
        await _store(pg_uow_factory, [_version(first + n, 1, 1) for n in range(size)])
        with counted(pg_uow_factory) as statements:
            outcome = await container.apply_batch.batch(company_id=COMPANY_ID)
        assert len(outcome.processed) == size and not outcome.failed
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_an_unreadable_body_and_a_refused_record_leave_the_rest_committed(
    pg_uow_factory: SqlUnitOfWorkFactory, container: Container
) -> None:
    """One body that cannot be decoded and one record PostgreSQL refuses (a CHECK constraint
    added for this test) in a batch of 12: the 10 others commit; the two stay PENDING with
    their errors and retry times, the refused record is quarantined."""
    await add_user(pg_uow_factory, code=CODE)
    refused = 930_000_006
    bodies = [_version(930_000_001 + n, 1, 1) for n in range(11) if n != 5]
    bodies.insert(3, b'{"company_id": 873456, "resource": "record", "resource_id": 930000099,'
                     b' "status": "update", "data": {"id": "not a number"}}')  # fmt: skip
    bodies.insert(8, _version(refused, 1, 1))
    ids = await _store(pg_uow_factory, bodies)
    check = (
        f"ALTER TABLE bookings ADD CONSTRAINT test_refuses CHECK (yclients_record_id <> {refused})"
    )
    async with pg_uow_factory.engine.begin() as conn:
        await conn.execute(text(check))
    try:
        outcome = await container.apply_batch.batch(company_id=COMPANY_ID)
    finally:
        async with pg_uow_factory.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE bookings DROP CONSTRAINT test_refuses"))

    by_record = {json.loads(b)["resource_id"]: i for b, i in zip(bodies, ids, strict=True)}
    unreadable, rejected = by_record[930_000_099], by_record[refused]
    assert set(outcome.failed) == {unreadable, rejected}
    assert len(outcome.processed) == len(bodies) - 2
    async with pg_uow_factory() as uow:
        events = {i: await uow.inbox.get(i) for i in ids}
        quarantined = await uow.quarantine.query(COMPANY_ID, 10, 0)
    async with pg_uow_factory.engine.connect() as conn:
        stored = set(
            (await conn.execute(text("SELECT yclients_record_id FROM bookings"))).scalars()
        )
        entries = (await conn.execute(text("SELECT count(*) FROM loyalty_transactions"))).scalar()
    assert stored == {r for r in by_record if r not in (930_000_099, refused)}
    assert entries == len(bodies) - 2
    for i, event in events.items():
        assert event is not None
        if i in (unreadable, rejected):
            assert event.state.value == "PENDING" and event.attempts == 1
            assert event.last_error and event.retry_at is not None
        else:
            assert event.state.value == "PROCESSED" and event.attempts == 1
    assert "SQLSTATE 23514" in (events[rejected].last_error or "")  # type: ignore[union-attr]
    assert "INSERT" not in (events[rejected].last_error or "")  # type: ignore[union-attr]
    assert [(q.record_id, q.source) for q in quarantined.items] == [(refused, "webhook")]
