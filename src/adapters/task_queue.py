"""The task-queue port over taskiq: kicks tasks by name, so adapters need not import the
entrypoint module that defines them."""

from __future__ import annotations

from typing import Any

from taskiq import AsyncBroker
from taskiq.kicker import AsyncKicker

PROCESS_WEBHOOK_EVENT = "process_webhook_event"
SYNC_BOOKINGS = "sync_bookings"


class TaskiqQueue:
    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker

    async def process_webhook_event(self, event_id: int) -> None:
        await self._kicker(PROCESS_WEBHOOK_EVENT).kiq(event_id)

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        await self._kicker(SYNC_BOOKINGS).kiq(company_id, trigger, run_id)

    def _kicker(self, name: str) -> AsyncKicker[Any, Any]:
        # The task's own labels (retry_on_error, max_retries) must travel with the message,
        # or the retry middleware never sees them.
        task = self.broker.find_task(name)
        return AsyncKicker(name, self.broker, dict(task.labels) if task else {})
