"""On PostgreSQL: a transaction that loses a real serialization race (SQLSTATE 40001) and is
retried reports its ledger entries once: `ledger_entry_written` lines match the rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Self

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.db.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.loyalty import ConfigureLevels
from src.domain.loyalty import DEFAULT_LEVELS, LedgerEntry
from tests.fakes.clock import FakeClock
from tests.integration.db.helpers import code_member, completed_visit


class _Serializable(SqlUnitOfWork):
    async def __aenter__(self) -> Self:
        await super().__aenter__()
        conn = self._db.conn  # the test picks the isolation level
        await conn.execute(text("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
        return self


class _FirstLosesARace(SqlUnitOfWorkFactory):
    """The first unit of work runs SERIALIZABLE and, right after it appends ledger entries
    (logged at once, before this change), a rival SERIALIZABLE transaction reads that
    booking's ledger and adds a level (a table the first one read), then commits: the first
    one's commit fails (40001) and the write is retried."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.raced = False

    def __call__(self) -> SqlUnitOfWork:
        if self.raced:
            return super().__call__()
        self.raced = True
        uow = _Serializable(self.engine)
        uow.ledger.append = self._rival_after(uow.ledger.append)  # type: ignore[method-assign]
        return uow

    def _rival_after(
        self, append: Callable[[Sequence[LedgerEntry]], Awaitable[None]]
    ) -> Callable[[Sequence[LedgerEntry]], Awaitable[None]]:
        async def append_then_rival(entries: Sequence[LedgerEntry]) -> None:
            await append(entries)
            if entries:
                async with self.engine.connect() as rival:
                    await rival.execute(text("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
                    await rival.execute(
                        text("SELECT count(*) FROM loyalty_transactions WHERE booking_id = :b"),
                        {"b": entries[0].booking_id},
                    )
                    await rival.execute(
                        text(
                            "INSERT INTO loyalty_levels (name, min_spend, cashback_percent)"
                            " VALUES ('Diamond', 999999999, 9)"
                        )
                    )
                    await rival.commit()

        return append_then_rival


async def test_a_transaction_retried_after_a_conflict_publishes_its_ledger_events_once(
    pg_uow_factory: SqlUnitOfWorkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    await ConfigureLevels(pg_uow_factory)(DEFAULT_LEVELS)
    user_id = await code_member(pg_uow_factory)
    factory = _FirstLosesARace(pg_uow_factory.engine)
    caplog.set_level("INFO")

    counts = await IngestRecords(factory, FakeClock(), Switches()).one(completed_visit())

    assert factory.raced
    retries = [r for r in caplog.records if r.getMessage() == "ingest_retry"]
    assert len(retries) == 1  # the first attempt really lost
    written = [r for r in caplog.records if r.getMessage() == "ledger_entry_written"]
    async with pg_uow_factory() as uow:
        rows = (await uow.ledger.entries(user_id, 10, 0)).items
    assert (
        [(r.kind, r.amount) for r in written]
        == [  # type: ignore[attr-defined]
            (e.kind.value, str(e.amount)) for e in rows
        ]
        == [("ACCRUAL", "75.00")]
    )
    assert counts.points_awarded == 75
