"""What runs beside the HTTP app in one process: the task runner the container was built
with (taskiq's broker client with Redis; in-process tasks and the schedule without)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from src.adapters.tasks.in_process import InProcessRunner
from src.adapters.tasks.taskiq_runner import TaskiqRunner
from src.entrypoints.bootstrap import Container

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Started in the app's lifespan, stopped at shutdown."""

    container: Container

    async def start(self, *, run_schedule: bool | None = None) -> None:
        """`run_schedule`: run the schedule here (default: when tasks run in this process;
        with Redis the one `taskiq scheduler` runs it)."""
        settings = self.container.settings
        await self.container.upkeep.configure_levels(settings.LOYALTY_LEVELS)
        await self.container.upkeep.ensure_salons()  # YCLIENTS_COMPANY_IDS: created if missing
        queue = self.container.queue
        if isinstance(queue, TaskiqRunner):
            await queue.broker.startup()
        in_process = isinstance(queue, InProcessRunner)
        scheduled = False
        if isinstance(queue, InProcessRunner) and run_schedule is not False:
            queue.start_schedule(self.container.schedule)
            scheduled = True
        log.info(
            "runtime_started",
            extra={"broker": "in-process" if in_process else "redis",
                   "schedule": "in-process" if scheduled else "taskiq scheduler"},
        )  # fmt: skip

    async def wait_idle(self) -> None:
        """Until the tasks this process runs are done (tests)."""
        queue = self.container.queue
        if isinstance(queue, InProcessRunner):
            await queue.wait_idle()

    async def stop(self) -> None:
        queue = self.container.queue
        if isinstance(queue, InProcessRunner):
            try:
                await asyncio.wait_for(queue.stop(), timeout=10)
            except TimeoutError:
                log.warning("runtime_stop_timeout")
        elif isinstance(queue, TaskiqRunner):
            await queue.broker.shutdown()
