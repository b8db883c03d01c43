"""The sync path carries each record's offset: simulator → client → SyncBookings → PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import text

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.adapters.yclients.client import YClientsClient
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.entrypoints.simulator import NewRecord
from tests.integration.yclients.conftest import COMPANY_ID, Simulator


async def test_a_sync_stores_each_records_offset(
    sim: Simulator,
    make_client: Callable[..., YClientsClient],
    pg_uow_factory: SqlUnitOfWorkFactory,
    pg_url: str,
) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    offsets = {"+03:00": timedelta(hours=3), "+05:00": timedelta(hours=5)}
    ids = {
        name: sim.state.create_record(
            NewRecord(
                company_id=COMPANY_ID,
                datetime=tomorrow.replace(tzinfo=timezone(delta)),
                webhook=False,
            )
        )["id"]
        for name, delta in offsets.items()
    }
    settings = Settings(APP_ENV="dev", DATABASE_URL=pg_url, YCLIENTS_COMPANY_IDS=(COMPANY_ID,))
    container = build_container(settings, uow_factory=pg_uow_factory, gateway=make_client())
    try:
        run = await container.sync(COMPANY_ID, "manual")
    finally:
        await container.aclose()
    assert run.status.value == "SUCCEEDED", run.error
    async with pg_uow_factory.engine.connect() as conn:
        rows = dict(
            (await conn.execute(
                text("SELECT yclients_record_id, utc_offset_minutes FROM bookings")
            )).all()
        )  # fmt: skip
    assert rows == {ids["+03:00"]: 180, ids["+05:00"]: 300}
