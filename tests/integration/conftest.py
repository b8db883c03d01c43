"""Integration fixtures: throw-away PostgreSQL and SQLite databases, migrated to head.

Each test session creates its own PostgreSQL database with a random name (and a SQLite file
in its own temp dir) and drops it at the end, so sessions can run in parallel. Function
fixtures `pg_uow_factory` / `sqlite_uow_factory` hand out emptied tables (loyalty levels stay).
Set `TEST_POSTGRES_URL` to point at another server (its database is the admin one).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.db.engine import database_url, is_sqlite, make_engine
from src.adapters.db.migrate import upgrade
from src.adapters.db.models import Base
from src.adapters.db.uow import SqlUnitOfWorkFactory

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
# Children first, so SQLite's DELETEs never trip a foreign key.
KEPT_TABLES = {"loyalty_levels"}
CLEARED_TABLES = [
    t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES
]


@asynccontextmanager
async def temporary_pg_database(
    revision: str | None = "head", prefix: str = "test", admin_url: str = PG_ADMIN_URL
) -> AsyncIterator[str]:
    """A new PostgreSQL database (migrated to `revision` unless None), dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = database_url(admin_url).set(database=name).render_as_string(hide_password=False)
        try:
            if revision is not None:
                await upgrade(url, revision)
            yield url
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@asynccontextmanager
async def temporary_sqlite_database(
    directory: Path, revision: str | None = "head"
) -> AsyncIterator[str]:
    """A new SQLite file in `directory` (migrated unless None), deleted on exit."""
    path = directory / f"test_{uuid.uuid4().hex[:16]}.db"
    url = f"sqlite+aiosqlite:///{path}"
    try:
        if revision is not None:
            await upgrade(url, revision)
        yield url
    finally:
        _remove_sqlite_files(path)


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def clear_tables(engine: AsyncEngine) -> None:
    """Empty every table except the loyalty levels, restarting ids where the engine can."""
    async with engine.begin() as conn:
        if is_sqlite(engine.url):
            for table in CLEARED_TABLES:
                await conn.execute(text(f"DELETE FROM {table}"))
        else:
            tables = ", ".join(CLEARED_TABLES)
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def new_pg_database():  # type: ignore[no-untyped-def]
    """`async with new_pg_database(revision) as url:` a private database for one test."""
    return temporary_pg_database


@pytest.fixture(scope="session")
def new_sqlite_database(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("sqlite")

    def factory(revision: str | None = "head"):  # type: ignore[no-untyped-def]
        return temporary_sqlite_database(directory, revision)

    return factory


@pytest.fixture(scope="session")
async def pg_url() -> AsyncIterator[str]:
    """This session's PostgreSQL database, migrated to head."""
    async with temporary_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """This session's SQLite database file, migrated to head."""
    async with temporary_sqlite_database(tmp_path_factory.mktemp("sqlite")) as url:
        yield url


@pytest.fixture(scope="session")
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(pg_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(sqlite_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def pg_uow_factory(pg_engine: AsyncEngine) -> SqlUnitOfWorkFactory:
    """A unit-of-work factory on the session's PostgreSQL database, tables emptied."""
    await clear_tables(pg_engine)
    return SqlUnitOfWorkFactory(pg_engine)


@pytest.fixture
async def sqlite_uow_factory(sqlite_engine: AsyncEngine) -> SqlUnitOfWorkFactory:
    """A unit-of-work factory on the session's SQLite database, tables emptied."""
    await clear_tables(sqlite_engine)
    return SqlUnitOfWorkFactory(sqlite_engine)
