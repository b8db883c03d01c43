"""Member search finds what staff type: any case of any alphabet (SQLite's own lower() folds
ASCII only), `%` and `_` as themselves, staff accounts left out of the clients, and each
member's level (spend) and last visit in the same query. Fakes, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.users import MemberQuery, NewUser
from src.domain.booking import Booking, BookingStatus
from src.domain.loyalty import LoyaltyAccount
from src.domain.user import Role
from tests.factories import COMPANY_ID


async def _add(uow_factory: UnitOfWorkFactory, email: str, name: str, **kw: object) -> int:
    async with uow_factory() as uow:
        user = await uow.users.add(NewUser(email=email, password_hash="h", name=name, **kw))  # type: ignore[arg-type]
        await uow.commit()
    return user.id


async def _names(uow_factory: UnitOfWorkFactory, text: str, **kw: object) -> list[str]:
    async with uow_factory() as uow:
        found = await uow.users.search(MemberQuery(text=text, **kw))  # type: ignore[arg-type]
    assert found.total == len(found.items)
    return sorted(m.user.name or "" for m in found.items)


async def test_cyrillic_in_any_case(uow_factory: UnitOfWorkFactory) -> None:
    await _add(uow_factory, "anna@example.com", "Анна Петрова")
    await _add(uow_factory, "big@example.com", "АННА СИДОРОВА")
    await _add(uow_factory, "yolka@example.com", "Ёлка")
    await _add(uow_factory, "maria@example.com", "Мария")
    # The use case folds what staff type the way Python does (`search_text` trims only).
    assert await _names(uow_factory, "анна") == sorted(["Анна Петрова", "АННА СИДОРОВА"])
    assert await _names(uow_factory, "ёлка") == ["Ёлка"]
    assert await _names(uow_factory, "петров") == ["Анна Петрова"]
    assert await _names(uow_factory, "ANNA@") == ["Анна Петрова"]


async def test_percent_and_underscore_are_taken_literally(uow_factory: UnitOfWorkFactory) -> None:
    await _add(uow_factory, "a_b@example.com", "Underscore")
    await _add(uow_factory, "axb@example.com", "Any letter")
    await _add(uow_factory, "sale@example.com", "Скидка 100% Ольга")
    await _add(uow_factory, "plain@example.com", "Скидка 1000 Ирина")
    await _add(uow_factory, "slash@example.com", "Слэш /x")
    assert await _names(uow_factory, "a_b") == ["Underscore"]
    assert await _names(uow_factory, "100%") == ["Скидка 100% Ольга"]
    assert await _names(uow_factory, "%") == ["Скидка 100% Ольга"]
    assert await _names(uow_factory, "_") == ["Underscore"]
    assert await _names(uow_factory, "/x") == ["Слэш /x"]  # the escape character itself


async def test_staff_are_not_listed_among_clients(uow_factory: UnitOfWorkFactory) -> None:
    await _add(uow_factory, "boss@example.com", "Анна-администратор", role=Role.ADMIN)
    await _add(uow_factory, "anna@example.com", "Анна")
    assert await _names(uow_factory, "анна", clients_only=True) == ["Анна"]
    assert await _names(uow_factory, "", clients_only=True) == ["Анна"]
    assert await _names(uow_factory, "анна") == sorted(["Анна", "Анна-администратор"])  # API


def _visit(record_id: int, user_id: int, at: datetime, status: BookingStatus) -> Booking:
    return Booking(
        company_id=COMPANY_ID, record_id=record_id, status=status, appointment_at=at,
        last_change_at=at, price=Decimal(1000), user_id=user_id,
    )  # fmt: skip


async def test_spend_and_last_completed_visit_come_with_each_member(
    uow_factory: UnitOfWorkFactory,
) -> None:
    regular = await _add(uow_factory, "regular@example.com", "Постоянная")
    newcomer = await _add(uow_factory, "new@example.com", "Новенькая")
    last = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
    async with uow_factory() as uow:
        await uow.bookings.upsert_and_lock(
            [
                _visit(1, regular, last - timedelta(days=30), BookingStatus.COMPLETED),
                _visit(2, regular, last, BookingStatus.COMPLETED),
                _visit(3, regular, last + timedelta(days=7), BookingStatus.PENDING),
                _visit(4, regular, last + timedelta(days=1), BookingStatus.CANCELLED),
            ]
        )
        await uow.ledger.lock_accounts([regular])
        await uow.ledger.save_accounts(
            [LoyaltyAccount(regular, Decimal("120.50"), Decimal("35000"))]
        )
        await uow.commit()
    async with uow_factory() as uow:
        found = {m.user.id: m for m in (await uow.users.search(MemberQuery())).items}
    assert found[regular].last_visit == last
    assert (found[regular].balance, found[regular].completed_spend) == (
        Decimal("120.50"), Decimal("35000"),
    )  # fmt: skip
    assert found[newcomer].last_visit is None
    assert found[newcomer].completed_spend == 0


async def test_a_page_of_members_is_two_statements_whatever_its_size(
    sqlite_uow_factory: SqlUnitOfWorkFactory, pg_uow_factory: SqlUnitOfWorkFactory
) -> None:
    for factory in (sqlite_uow_factory, pg_uow_factory):
        for n in range(25):
            await _add(factory, f"m{n}@example.com", f"Клиент {n}")
        statements: list[str] = []

        def record(_c, _cur, statement, _p, _ctx, _many, seen=statements) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        event.listen(factory.engine.sync_engine, "before_cursor_execute", record)
        try:
            async with factory() as uow:
                page = await uow.users.search(MemberQuery(text="клиент", limit=20))
        finally:
            event.remove(factory.engine.sync_engine, "before_cursor_execute", record)
        assert len(page.items) == 20 and page.total == 25
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 2, selects  # the page (joined) and its count: no N+1
