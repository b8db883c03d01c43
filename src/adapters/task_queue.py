"""The task-queue port over taskiq: kicks tasks by name, so adapters need not import the
entrypoint module that defines them."""

from __future__ import annotations

from taskiq import AsyncBroker
from taskiq.kicker import AsyncKicker

PROCESS_WEBHOOK_EVENT = "process_webhook_event"
SYNC_BOOKINGS = "sync_bookings"


class TaskiqQueue:
    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker

    async def process_webhook_event(self, event_id: int) -> None:
        await AsyncKicker(PROCESS_WEBHOOK_EVENT, self.broker, {}).kiq(event_id)

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        await AsyncKicker(SYNC_BOOKINGS, self.broker, {}).kiq(company_id, trigger, run_id)
