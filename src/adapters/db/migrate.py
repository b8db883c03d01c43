"""Run the Alembic migrations from Python (the app migrates on start)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import pool, text
from sqlalchemy.engine import URL, Connection

from src.adapters.db.engine import is_sqlite, make_engine

ROOT = Path(__file__).resolve().parents[3]
# Any constant works: it only has to be the same for every process migrating this database.
_MIGRATION_LOCK = 7_268_134_001


def alembic_config(url: str | URL | None = None) -> Config:
    """The project's Alembic config, usable from any working directory."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["configure_logger"] = False
    if url is not None:
        cfg.attributes["url"] = str(url) if isinstance(url, str) else url.render_as_string(False)
    return cfg


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`."""
    await _run(url, command.upgrade, revision)


async def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database at `url` down to `revision` (`base` drops everything)."""
    await _run(url, command.downgrade, revision)


async def current(url: str | URL) -> str | None:
    """The revision the database is at, None if it was never migrated."""
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


async def _run(url: str | URL, step: Callable[..., Any], revision: str) -> None:
    # SQLite: foreign keys off while tables may be recreated (nothing must cascade).
    engine = make_engine(url, sqlite_foreign_keys=False, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            if not is_sqlite(url):
                # Two processes starting at once: the second waits, then finds nothing to do.
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
            await conn.run_sync(_in_connection, step, alembic_config(url), revision)
    finally:
        await engine.dispose()


def _in_connection(conn: Connection, step: Callable[..., Any], cfg: Config, revision: str) -> None:
    cfg.attributes["connection"] = conn
    step(cfg, revision)
