"""What runs beside the HTTP app in one process: the broker client, in-process tasks and
schedule (no Redis), and the YClients simulator (no tokens)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from taskiq import AsyncBroker

from src.entrypoints.bootstrap import Container
from src.entrypoints.worker import InProcessScheduler, attach_container, build_broker

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Started in the app's lifespan, stopped at shutdown."""

    container: Container
    broker: AsyncBroker | None = None
    scheduler: InProcessScheduler | None = None
    _stoppers: list = field(default_factory=list)  # type: ignore[type-arg]

    async def start(self, *, run_schedule: bool | None = None) -> None:
        settings = self.container.settings
        await self.container.configure_levels(settings.LOYALTY_LEVELS)
        await self.container.ensure_salons()  # YCLIENTS_COMPANY_IDS: created if missing
        self.broker = self.broker or build_broker(settings)
        attach_container(self.broker, self.container)
        await self.broker.startup()
        in_memory = not settings.REDIS_URL
        if run_schedule if run_schedule is not None else in_memory:
            self.scheduler = InProcessScheduler(self.broker, settings)
            self.scheduler.start()
        log.info(
            "runtime_started",
            extra={"broker": "redis" if not in_memory else "in-memory",
                   "schedule": "in-process" if self.scheduler else "taskiq scheduler"},
        )  # fmt: skip

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.broker is not None:
            wait_all = getattr(self.broker, "wait_all", None)
            if wait_all is not None:
                try:
                    await asyncio.wait_for(wait_all(), timeout=10)
                except TimeoutError:
                    log.warning("runtime_stop_timeout")
            await self.broker.shutdown()
