"""Sync batching: a page costs a fixed number of SQL statements, whatever its size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.users import NewUser
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.domain.booking import BookingStatus
from src.domain.client_codes import comment_line
from src.domain.record import ClientInfo, ServiceLine, YClientsRecord
from tests.fakes.clock import FakeClock
from tests.integration.db.helpers import COMPANY, T0, booking, counted

# versions of stored bookings, members (codes, emails and phones in one query), upsert
# returning the written rows locked, levels (a sync loads them once, not per page), accounts
# (created and locked in one statement), ledger, loyalty columns, balances, the HELD
# redemptions of the awarded bookings (holds follow their visit): 9, plus BEGIN where the
# driver shows it (SQLite).
MAX_STATEMENTS_PER_PAGE = 10
USERS = 30


@pytest.fixture(params=["postgres", "sqlite"])
def sql_uow_factory(request: pytest.FixtureRequest) -> SqlUnitOfWorkFactory:
    name = "pg_uow_factory" if request.param == "postgres" else "sqlite_uow_factory"
    return request.getfixturevalue(name)


def page(first_id: int, size: int) -> list[YClientsRecord]:
    """Records linking by code, email or phone (a quarter by nothing), a third completed."""
    records = []
    for n in range(first_id, first_id + size):
        u = n % USERS
        how = n % 4
        client = ClientInfo(
            name="Client",
            email=f"user{u}@example.com" if how == 1 else None,
            phone=f"+7 916 555-{u:02d}-00" if how == 2 else None,
        )
        records.append(
            YClientsRecord(
                company_id=COMPANY,
                record_id=n,
                status=BookingStatus.COMPLETED if n % 3 == 0 else BookingStatus.CONFIRMED,
                appointment_at=T0 + timedelta(days=n % 20),
                last_change_at=T0,
                services=(ServiceLine("Manicure", Decimal("1000.00") + n),),
                client=client,
                comment=comment_line(_code(u)) if how == 0 else "",
            )
        )
    return records


def _code(u: int) -> str:
    return f"CODE{u:02d}AB".replace("0", "Z").replace("1", "Y")


async def _users(factory: SqlUnitOfWorkFactory) -> None:
    async with factory() as uow:
        for u in range(USERS):
            await uow.users.add(
                NewUser(
                    email=f"user{u}@example.com",
                    password_hash="h",
                    phone_key=f"916555{u:02d}00",
                    unique_code=_code(u),
                    # verified: these members may be linked by email and phone
                    email_verified_at=datetime(2026, 1, 1, tzinfo=UTC),
                    phone_verified_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
        await uow.commit()


async def test_ingesting_a_page_costs_the_same_statements_at_50_and_200(
    sql_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    await _users(sql_uow_factory)
    ingest = IngestRecords(sql_uow_factory, FakeClock(), Switches())

    with counted(sql_uow_factory) as small:
        counts_small = await ingest(page(1, 50))
    with counted(sql_uow_factory) as large:
        counts_large = await ingest(page(1001, 200))
    with counted(sql_uow_factory) as again:
        counts_again = await ingest(page(1001, 200))

    assert (counts_small.created, counts_large.created) == (50, 200)
    assert (counts_large.linked, counts_large.unmatched) == (150, 50)
    assert counts_large.points_awarded > 0
    assert counts_again.unchanged == 200
    assert len(small) == len(large) <= MAX_STATEMENTS_PER_PAGE, large
    assert len(again) <= MAX_STATEMENTS_PER_PAGE, again


async def test_upsert_and_lock_is_one_statement_per_batch(
    sql_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    fresh = [booking(n) for n in range(1, 201)]
    async with sql_uow_factory() as uow:
        with counted(sql_uow_factory) as inserts:
            written = await uow.bookings.upsert_and_lock(fresh)
        # Half of them stale now: their rows come from one extra SELECT ... FOR UPDATE.
        mixed = [booking(n, last_change_at=T0 - timedelta(seconds=n % 2)) for n in range(1, 201)]
        with counted(sql_uow_factory) as upserts:
            again = await uow.bookings.upsert_and_lock(mixed)
        await uow.commit()
    ids = {key: b.id for key, b in written.items()}
    assert len(ids) == 200 and {key: b.id for key, b in again.items()} == ids
    assert [s.split()[0] for s in inserts if not s.startswith("BEGIN")] == ["INSERT"]
    assert [s.split()[0] for s in upserts] == ["INSERT", "SELECT"]
