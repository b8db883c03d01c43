"""Migrations: the seed's unique_code step on a populated table, round trips, and the models
agreeing with the migrations (autogenerate finds nothing to do)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from src.adapters.db.engine import make_engine
from src.adapters.db.migrate import current, downgrade, upgrade
from src.adapters.db.models import Base
from src.domain.client_codes import is_valid_code
from src.domain.loyalty import DEFAULT_LEVELS

BEFORE_CODES = "0001"
USERS = 1000


@pytest.fixture(params=["postgres", "sqlite"])
def empty_database(request: pytest.FixtureRequest, new_pg_database, new_sqlite_database):  # type: ignore[no-untyped-def]
    """A factory of empty (unmigrated) private databases of either engine."""
    return new_pg_database if request.param == "postgres" else new_sqlite_database


async def _run(url: str, fn: Callable[[Connection], Any]) -> Any:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


async def _sql(url: str, sql: str, params: Any = None) -> list[Any]:
    def go(conn: Connection) -> list[Any]:
        result = conn.execute(text(sql), params)
        return list(result) if result.returns_rows else []

    return await _run(url, go)


def _user_columns(conn: Connection) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns("users")}


async def test_unique_code_migration_fills_every_existing_user(empty_database) -> None:  # type: ignore[no-untyped-def]
    async with empty_database(None) as url:
        await upgrade(url, BEFORE_CODES)
        assert await current(url) == BEFORE_CODES
        assert "unique_code" not in await _run(url, _user_columns)
        await _sql(
            url,
            "INSERT INTO users (email, password_hash, role, created_at, updated_at) "
            "VALUES (:email, 'h', 'user', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            [{"email": f"user{i}@example.com"} for i in range(USERS)],
        )

        await upgrade(url)
        codes = [row[0] for row in await _sql(url, "SELECT unique_code FROM users")]
        assert len(codes) == USERS
        assert all(code is not None and is_valid_code(code) for code in codes)
        assert len(set(codes)) == USERS

        # Down: the column and its index go, the users stay.
        await downgrade(url, BEFORE_CODES)
        assert "unique_code" not in await _run(url, _user_columns)
        assert (await _sql(url, "SELECT count(*) FROM users"))[0][0] == USERS

        # Up again: everyone gets a code again, and a duplicate code is refused.
        await upgrade(url)
        rows = await _sql(url, "SELECT id, unique_code FROM users ORDER BY id")
        assert len({code for _, code in rows}) == USERS
        with pytest.raises(IntegrityError):
            await _sql(
                url, "UPDATE users SET unique_code = :code WHERE id = :id",
                {"code": rows[0][1], "id": rows[1][0]},
            )  # fmt: skip
        # The case-insensitive email index survived (SQLite recreates nothing on downgrade).
        with pytest.raises(IntegrityError):
            await _sql(
                url,
                "INSERT INTO users (email, password_hash, role, created_at, updated_at) "
                "VALUES ('USER1@example.com', 'h', 'user', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            )


async def test_full_round_trip_and_seeded_levels(empty_database) -> None:  # type: ignore[no-untyped-def]
    async with empty_database(None) as url:
        await upgrade(url)
        levels = await _sql(url, "SELECT name, min_spend, cashback_percent FROM loyalty_levels")
        assert sorted(levels, key=lambda r: r[1]) == [
            (lv.name, lv.min_spend, lv.cashback_percent) for lv in DEFAULT_LEVELS
        ]
        await downgrade(url, "base")
        assert await current(url) is None
        tables = await _run(url, lambda conn: set(inspect(conn).get_table_names()))
        assert tables <= {"alembic_version"}
        await upgrade(url)
        assert await current(url) == _head()


async def test_models_and_migrations_agree(empty_database) -> None:  # type: ignore[no-untyped-def]
    def diff(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        with warnings.catch_warnings():
            # SQLite cannot reflect the lower(email) expression index; PostgreSQL checks it.
            warnings.filterwarnings("ignore", message=".*expression-based index")
            return compare_metadata(context, Base.metadata)

    async with empty_database(None) as url:
        await upgrade(url)
        assert await _run(url, diff) == []


def _head() -> str:
    from alembic.script import ScriptDirectory

    from src.adapters.db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_phone_key_migration_fills_existing_bookings(empty_database) -> None:  # type: ignore[no-untyped-def]
    async with empty_database(None) as url:
        await upgrade(url, "0011")
        phones = ["+7 (916) 111-22-33", "8 916 111 22 34", "12345", None]
        await _sql(
            url,
            "INSERT INTO bookings (company_id, yclients_record_id, status, appointment_at, "
            "last_change_at, price, services, client_phone, comment, deleted, bonus_points, "
            "bonus_basis, ledger_step, loyalty_bonuses_awarded, created_at, updated_at) "
            "VALUES (1, :rid, 'PENDING', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, '[]', :phone, "
            "'', false, 0, 0, 0, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            [{"rid": i, "phone": p} for i, p in enumerate(phones)],
        )
        await upgrade(url)
        rows = await _sql(url, "SELECT client_phone_key FROM bookings ORDER BY yclients_record_id")
        assert [r[0] for r in rows] == ["9161112233", "9161112234", None, None]


async def test_phone_numbers_migration_rekeys_users_and_bookings_as_e164(empty_database) -> None:  # type: ignore[no-untyped-def]
    """0013 on a database with rows in: Russian keys stay their last 10 digits, a foreign
    number gets its E.164 key (it no longer shares the Russian client's), the member who
    verified it keeps the booking it linked, and a phone that is not a number loses its key
    and its verification."""
    async with empty_database(None) as url:
        await upgrade(url, "0012")
        users = [  # (email, phone, key under 0012, verified)
            ("ru@example.com", "8 916 111-22-33", "9161112233", True),
            ("us@example.com", "+1 916 555 1234", "9165551234", True),
            ("kz@example.com", "+7 701 123 4567", "7011234567", False),
            ("junk@example.com", "+7 916 555 12 34 567", "5551234567", True),
        ]
        await _sql(
            url,
            "INSERT INTO users (email, password_hash, role, phone, phone_key, "
            "phone_verified_at, created_at, updated_at) VALUES (:e, 'h', 'user', :p, :k, "
            "CASE WHEN :v THEN CURRENT_TIMESTAMP END, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            [{"e": e, "p": p, "k": k, "v": v} for e, p, k, v in users],
        )
        [us_id] = [
            r[0] for r in await _sql(url, "SELECT id FROM users WHERE email = 'us@example.com'")
        ]
        bookings = [  # (record id, client phone, key under 0012, linked to)
            (1, "+7 (916) 555-12-34", "9165551234", us_id),  # taken by the +1 member before
            (2, "+7 916 555 12 34", "9165551234", None),
            (3, "+1 (916) 555-1234", "9165551234", None),
            (4, "+375 29 123-45-67", "5291234567", None),
            (5, "+7 916 555 12 34 567", "5551234567", None),  # too long: not a number
            (6, None, None, None),
        ]
        await _sql(
            url,
            "INSERT INTO bookings (company_id, yclients_record_id, status, appointment_at, "
            "last_change_at, price, services, client_phone, client_phone_key, user_id, comment, "
            "deleted, bonus_points, bonus_basis, ledger_step, loyalty_bonuses_awarded, "
            "created_at, updated_at) VALUES (1, :rid, 'PENDING', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP, 0, '[]', :p, :k, :u, '', false, 0, 0, 0, false, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            [{"rid": r, "p": p, "k": k, "u": u} for r, p, k, u in bookings],
        )

        await upgrade(url)

        got = await _sql(
            url,
            "SELECT email, phone_key, phone_verified_at IS NOT NULL FROM users ORDER BY id",
        )
        assert [tuple(r) for r in got] == [
            ("ru@example.com", "9161112233", True),
            ("us@example.com", "+19165551234", True),
            ("kz@example.com", "7011234567", False),
            ("junk@example.com", None, False),
        ]
        got = await _sql(
            url, "SELECT client_phone_key, user_id FROM bookings ORDER BY yclients_record_id"
        )
        assert [tuple(r) for r in got] == [
            ("9165551234", us_id),  # keeps its link
            ("9165551234", None),
            ("+19165551234", None),
            ("+375291234567", None),
            (None, None),
            (None, None),
        ]
        # The indexes SQLite cannot reflect came back: one member per verified phone.
        with pytest.raises(IntegrityError):
            await _sql(
                url,
                "INSERT INTO users (email, password_hash, role, phone_key, phone_verified_at, "
                "created_at, updated_at) VALUES ('x@example.com', 'h', 'user', '+19165551234', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            )
        with pytest.raises(IntegrityError):  # and emails unique whatever their case
            await _sql(
                url,
                "INSERT INTO users (email, password_hash, role, created_at, updated_at) "
                "VALUES ('RU@example.com', 'h', 'user', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            )

        # Down again: the last 10 digits, as 0012 wrote them.
        await downgrade(url, "0012")
        got = await _sql(url, "SELECT client_phone_key FROM bookings ORDER BY yclients_record_id")
        assert [r[0] for r in got] == [
            "9165551234", "9165551234", "9165551234", "5291234567", "5551234567", None
        ]  # fmt: skip
