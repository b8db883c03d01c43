"""Issue 13 item 7 on PostgreSQL: one member's balance at the column's limit never fails the
sync page the others' visits are on (the award that would overflow is skipped and logged)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.users import NewUser
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.domain.booking import BookingStatus
from src.domain.client_codes import comment_line
from src.domain.loyalty import MAX_POINTS
from src.domain.record import ServiceLine
from tests.factories import RecordFactory
from tests.fakes.clock import FakeClock


async def test_one_members_overflow_never_fails_a_sync_page(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with pg_uow_factory() as uow:
        rich = await uow.users.add(NewUser("rich@example.com", "h", unique_code="RICH2345"))
        maria = await uow.users.add(NewUser("maria@example.com", "h", unique_code="MARIA234"))
        await uow.ledger.lock_accounts([rich.id])
        await uow._db.execute(  # type: ignore[attr-defined]
            text("UPDATE loyalty_accounts SET balance = :b WHERE user_id = :u"),
            {"b": MAX_POINTS - 1, "u": rich.id},
        )
        await uow.commit()
    page = [
        RecordFactory.build(
            record_id=n,
            status=BookingStatus.COMPLETED,
            services=(ServiceLine("Hair", Decimal("99999.00")),),
            comment=comment_line(code),
        )
        for n, code in [(1, "RICH2345"), (2, "MARIA234")]
    ]
    counts = await IngestRecords(pg_uow_factory, FakeClock(), Switches())(page)
    assert counts.points_awarded == Decimal("2999.97")  # Maria's 3 %; Rich's skipped
    async with pg_uow_factory() as uow:
        assert (await uow.ledger.get_account(rich.id)).balance == MAX_POINTS - 1
        assert (await uow.ledger.get_account(maria.id)).balance == Decimal("2999.97")
