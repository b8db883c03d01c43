"""Alembic environment: async engines, PostgreSQL and SQLite (batch mode).

The database comes from, in order: a connection passed in `config.attributes["connection"]`
(what `src.adapters.db.migrate` does), `-x url=...`, `config.attributes["url"]`,
the `DATABASE_URL` environment variable, the embedded SQLite default.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection

from src.adapters.db.engine import DEFAULT_DATABASE_URL, database_url, make_engine
from src.adapters.db.models import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.attributes.get("url")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )
    return database_url(url).render_as_string(hide_password=False)


def _configure(**kwargs: object) -> None:
    url = kwargs.get("url")
    connection = kwargs.get("connection")
    dialect = connection.dialect.name if isinstance(connection, Connection) else str(url)
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=dialect.startswith("sqlite"),  # SQLite cannot ALTER most things
        compare_type=True,
        **kwargs,  # type: ignore[arg-type]
    )


def do_run_migrations(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    # Foreign keys off on SQLite: batch mode recreates tables, which must not cascade.
    engine = make_engine(_url(), sqlite_foreign_keys=False, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    do_run_migrations(connection)
else:
    asyncio.run(run_async_migrations())
