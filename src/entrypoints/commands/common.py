"""What the commands share: a database made ready, a container closed afterwards."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from src.adapters.db.engine import check_database, describe
from src.adapters.db.migrate import upgrade
from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.settings import Settings

log = logging.getLogger("cli")


async def prepare_database(settings: Settings) -> None:
    await check_database(settings.DATABASE_URL)
    await upgrade(settings.DATABASE_URL)
    log.info("database_ready", extra={"database": describe(settings.DATABASE_URL)})


@asynccontextmanager
async def open_container(settings: Settings) -> AsyncIterator[Container]:
    """A container on a database known to be reachable, closed afterwards."""
    await check_database(settings.DATABASE_URL)
    container = build_container(settings)
    try:
        yield container
    finally:
        await container.aclose()
