"""Test data and small steps shared by the database tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.users import NewUser
from src.domain.booking import Booking, BookingKey, BookingStatus
from src.domain.client_codes import comment_line
from src.domain.record import ServiceLine, YClientsRecord
from src.domain.user import User
from tests.factories import RecordFactory

COMPANY = 873456
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CODE = "MARIA234"


def completed_visit(record_id: int = 1) -> YClientsRecord:
    """A completed 2,500.00 visit carrying `CODE`'s member in its comment."""
    return RecordFactory.build(
        record_id=record_id,
        status=BookingStatus.COMPLETED,
        services=(ServiceLine("Manicure", Decimal("2500.00")),),
        comment=comment_line(CODE),
    )


async def code_member(factory: UnitOfWorkFactory) -> int:
    """The member whose code is `CODE`."""
    async with factory() as uow:
        user = await uow.users.add(NewUser("maria@example.com", "h", unique_code=CODE))
        await uow.commit()
    return user.id


async def add_user(
    factory: UnitOfWorkFactory,
    email: str = "maria@example.com",
    *,
    phone_key: str | None = None,
    code: str | None = None,
    verified: bool = True,
) -> User:
    at = datetime(2026, 1, 1, tzinfo=UTC) if verified else None
    async with factory() as uow:
        user = await uow.users.add(
            NewUser(
                email=email,
                password_hash="h",
                phone_key=phone_key,
                unique_code=code,
                email_verified_at=at,
                phone_verified_at=at if phone_key else None,
            )
        )
        await uow.commit()
    return user


def booking(record_id: int = 1, **changes: Any) -> Booking:
    """A pending booking of company COMPANY, version T0, one 2500.00 service."""
    base = Booking(
        company_id=COMPANY,
        record_id=record_id,
        status=BookingStatus.PENDING,
        appointment_at=T0 + timedelta(days=10),
        last_change_at=T0,
        price=Decimal("2500.00"),
        services=(("Manicure", Decimal("2500.00")),),
        staff_name="Anna",
        client_name="Maria",
        client_phone="+7 916 555-12-34",
        client_email="maria@example.com",
        comment="Код клиента: ABC23456",
    )
    return replace(base, **changes)


def data(b: Booking | None) -> Booking | None:
    """The booking without what storage assigns (id, timestamps), for comparisons."""
    return replace(b, id=None, created_at=None, updated_at=None) if b else None


async def upsert(factory: UnitOfWorkFactory, *bookings: Booking) -> dict[BookingKey, int]:
    async with factory() as uow:
        rows = await uow.bookings.upsert_and_lock(list(bookings))
        await uow.commit()
    return {key: b.id for key, b in rows.items()}  # type: ignore[misc]


async def stored(factory: UnitOfWorkFactory, booking_id: int) -> Booking:
    async with factory() as uow:
        b = await uow.bookings.get(booking_id)
    assert b is not None
    return b


@contextmanager
def counted(factory: SqlUnitOfWorkFactory) -> Iterator[list[str]]:
    """The SQL statements the factory's engine sends while the block runs."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = factory.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def transactions(engine: AsyncEngine) -> Iterator[list[object]]:
    """The transactions begun on `engine` while the block runs (one per unit of work)."""
    begun: list[object] = []

    def record(conn: object) -> None:
        begun.append(conn)

    event.listen(engine.sync_engine, "begin", record)
    try:
        yield begun
    finally:
        event.remove(engine.sync_engine, "begin", record)
