"""Serving commands: `run` (everything in one process), `serve` (production API),
`migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from src.adapters.db.engine import check_database, describe, is_sqlite
from src.entrypoints.bootstrap import SIMULATOR_PARTNER_TOKEN, SIMULATOR_USER_TOKEN, build_container
from src.entrypoints.commands.common import prepare_database
from src.entrypoints.http.proxy import proxy_options
from src.entrypoints.settings import Settings

log = logging.getLogger("cli")


async def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    await prepare_database(settings)
    print(f"migrated {describe(settings.DATABASE_URL)} to head")
    return 0


async def cmd_run(settings: Settings, _: argparse.Namespace) -> int:
    """API + in-process tasks and schedule + (without tokens) the YClients simulator."""
    import uvicorn

    from src.entrypoints.asgi import create_app
    from src.entrypoints.runtime import Runtime

    await prepare_database(settings)
    servers: list[uvicorn.Server] = []
    if settings.uses_simulator:
        from src.entrypoints.simulator import SimulatorState, create_simulator_app

        webhook = (
            f"http://{settings.HOST}:{settings.PORT}/api/v1/yclients/webhook"
            f"?secret={settings.YCLIENTS_WEBHOOK_SECRET}"
        )
        state = SimulatorState(
            partner_token=SIMULATOR_PARTNER_TOKEN,
            user_token=SIMULATOR_USER_TOKEN,
            webhook_url=webhook,
        )
        sim = create_simulator_app(state)
        servers.append(
            uvicorn.Server(
                uvicorn.Config(
                    sim, host="127.0.0.1", port=settings.SIMULATOR_PORT, log_level="warning"
                )
            )
        )
        log.warning(
            "yclients_simulator_started",
            extra={
                "reason": "no YCLIENTS_PARTNER_TOKEN/YCLIENTS_USER_TOKEN set",
                "simulator": f"http://127.0.0.1:{settings.SIMULATOR_PORT}",
                "control_api": f"http://127.0.0.1:{settings.SIMULATOR_PORT}/_control",
                "webhooks_to": webhook.split("?")[0],
            },
        )
    container = build_container(settings)
    runtime = Runtime(container)
    app = create_app(container, on_startup=[runtime.start], on_shutdown=[runtime.stop])
    servers.append(
        uvicorn.Server(
            uvicorn.Config(
                app,
                host=settings.HOST,
                port=settings.PORT,
                log_level="info",
                access_log=False,
                **proxy_options(settings),
            )
        )
    )
    try:
        await asyncio.gather(*(s.serve() for s in servers))
    finally:
        await container.aclose()
    return 0


def cmd_serve(settings: Settings, _: argparse.Namespace) -> int:
    """The production API. Tasks go to Redis when REDIS_URL is set; otherwise this one
    process also runs them (and then stays a single worker so the schedule runs once)."""
    import uvicorn

    asyncio.run(_prepare_database_check(settings))
    if is_sqlite(settings.DATABASE_URL):
        log.warning(
            "sqlite_single_machine",
            extra={"database": describe(settings.DATABASE_URL),
                   "reason": "SQLite is for one machine: run every server, worker and scheduler "
                   "there, or use PostgreSQL (DATABASE_URL=postgresql://...)"},
        )  # fmt: skip
    workers = settings.WEB_CONCURRENCY or (os.cpu_count() or 1)
    if not settings.REDIS_URL:
        workers = 1
    uvicorn.run(
        "src.entrypoints.asgi:create_app",
        factory=True,
        host=settings.HOST,
        port=settings.PORT,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        **proxy_options(settings),
    )
    return 0


async def _prepare_database_check(settings: Settings) -> None:
    await check_database(settings.DATABASE_URL)
