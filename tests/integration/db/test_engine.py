"""Engine helpers: SQLite settings, URL normalisation, and the reachability check."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from src.adapters.db.engine import DatabaseUnavailable, check_database, database_url, make_engine


async def test_sqlite_connections_get_wal_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            pragmas = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        await engine.dispose()
    assert pragmas == ["wal", 1, 30000]


async def test_sqlite_inbox_not_synchronous_full_acknowledged_webhook_lost_on_power_loss(
    sqlite_url: str,
) -> None:
    """WAL with synchronous=NORMAL may lose the last commits on power loss, and a webhook
    is acknowledged once committed: FULL syncs the WAL at every commit (2 = FULL)."""
    engine = make_engine(sqlite_url)
    try:
        async with engine.begin() as conn:  # the inbox writes in a transaction like this
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 2
    finally:
        await engine.dispose()


def test_plain_urls_get_the_async_drivers() -> None:
    assert database_url("postgresql://u:p@h/db").drivername == "postgresql+asyncpg"
    assert database_url("postgres://u:p@h/db").drivername == "postgresql+asyncpg"
    assert database_url("sqlite:///data/app.db").drivername == "sqlite+aiosqlite"
    assert database_url("sqlite+aiosqlite:///x.db").drivername == "sqlite+aiosqlite"


async def test_check_database_passes_on_a_live_database(pg_url: str, sqlite_url: str) -> None:
    await check_database(pg_url)
    await check_database(sqlite_url)


async def test_unreachable_server_names_host_and_database_and_hides_the_password() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        await check_database("postgresql://loyalty:s3cret-pw@127.0.0.1:1/loyalty_prod", 5)
    message = str(caught.value)
    assert "127.0.0.1:1" in message and "'loyalty_prod'" in message
    assert "s3cret-pw" not in message and "***" in message


async def test_missing_database_is_reported_by_name(pg_url: str) -> None:
    missing = database_url(pg_url).set(database="no_such_database_here")
    with pytest.raises(DatabaseUnavailable, match="no_such_database_here"):
        await check_database(missing)


async def test_sqlite_in_a_missing_place_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnavailable, match="SQLite database"):
        await check_database(f"sqlite:///{blocker}/app.db")


async def test_a_pooled_connection_the_server_closed_is_replaced_on_checkout(pg_url: str) -> None:
    engine = make_engine(pg_url)
    other = make_engine(pg_url)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        async with other.connect() as admin:  # a restart or failover, for that connection
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.2)  # the driver sees the socket close
        async with engine.connect() as conn:
            again = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        assert again != pid
    finally:
        await engine.dispose()
        await other.dispose()
