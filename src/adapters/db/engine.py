"""Engine creation for PostgreSQL (asyncpg) and SQLite (aiosqlite), and a reachability check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event, pool, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/app.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000

_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached; the message names it, password masked."""


def database_url(url: str | URL) -> URL:
    """The URL with its async driver (`postgresql://` → asyncpg, `sqlite://` → aiosqlite)."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def describe(url: str | URL) -> str:
    """Where the database is, for messages: host, port and name; never the password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite database {parsed.database or ':memory:'!r}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return (
        f"database {parsed.database!r} on {where} as user {parsed.username!r} "
        f"({parsed.render_as_string(hide_password=True)})"
    )


def make_engine(url: str | URL, *, sqlite_foreign_keys: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`; `kwargs` override the defaults below.

    PostgreSQL: an asyncpg pool that drops connections the server closed when they are
    checked out. SQLite: WAL with synchronous=FULL, foreign keys, a busy timeout, and every
    transaction opened with `BEGIN IMMEDIATE`, so writers queue on the database lock instead
    of failing with "database is locked" when a read transaction tries to write.
    """
    parsed = database_url(url)
    if is_sqlite(parsed):
        return _sqlite_engine(parsed, sqlite_foreign_keys, kwargs)
    options: dict[str, Any] = {
        "connect_args": {"server_settings": {"application_name": "yclients-loyalty"}},
        # Errors and logs never repeat statement parameters (client names, phones, emails).
        "hide_parameters": True,
    }
    if "poolclass" not in kwargs:  # the defaults below fit the queue pool only
        options.update(pool_size=10, max_overflow=20, pool_recycle=1800)
    options.update(kwargs)
    engine = create_async_engine(parsed, **options)
    if not options.get("pool_pre_ping"):
        _drop_closed_connections(engine)
    return engine


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection whose server went away (restart, failover) is replaced when it is
    checked out, without a round trip: asyncpg has seen the socket close. SQLAlchemy's
    `pool_pre_ping` asks the server instead, with BEGIN, a query and ROLLBACK on every
    checkout: a tenth of the CPU of a re-sync, more of a short API request. (A connection
    cut without the socket closing still fails its next statement once; pass
    `pool_pre_ping=True` where that matters more.)"""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        driver = record.driver_connection
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the database closed this connection")


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_engine(url: URL, foreign_keys: bool, kwargs: dict[str, Any]) -> AsyncEngine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **{"hide_parameters": True, **kwargs})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 driver: SQLAlchemy emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: an acknowledged (committed) webhook must survive power loss; NORMAL in WAL
        # mode may drop the last commits. SQLite is the one-machine setup: the fsync is cheap.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.close()
        # SQLite's lower() folds ASCII only: the member search folds with Python's.
        dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def check_database(url: str | URL, seconds: float = 10.0) -> None:
    """Connect and run `SELECT 1`; raise `DatabaseUnavailable` naming the database if not."""
    try:
        parsed = database_url(url)
    except Exception as exc:
        # Never echo the raw URL: it may hold a password.
        raise DatabaseUnavailable(f"DATABASE_URL is not a database URL: {exc}") from None
    engine: AsyncEngine | None = None
    try:
        engine = make_engine(parsed, poolclass=pool.NullPool)
        async with asyncio.timeout(seconds), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except TimeoutError as exc:
        raise DatabaseUnavailable(
            f"cannot reach {describe(parsed)}: no answer in {seconds:g} s"
        ) from exc
    except Exception as exc:  # any driver or OS error means "unreachable" here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if parsed.password:
            reason = reason.replace(str(parsed.password), "***")
        raise DatabaseUnavailable(f"cannot reach {describe(parsed)}: {reason}") from exc
    finally:
        if engine is not None:
            await engine.dispose()
