"""The owner's overview page (sync runs per salon, the webhook inbox), read in one
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from src.application.ports.uow import UnitOfWorkFactory
from src.domain.inbox import EventState
from src.domain.sync_run import SyncRun


@dataclass(frozen=True, slots=True)
class OverviewView:
    runs: dict[int, list[SyncRun]]  # company id → its latest runs, newest first
    inbox: dict[EventState, int]  # webhook events per state
    last_webhook: datetime | None  # when the newest webhook event was received


@dataclass(frozen=True, slots=True)
class Overview:
    """Admin: each salon's latest sync runs and the webhook inbox at a glance (what
    `SyncRunQueries.page` and `WebhookEventQueries.page` give), in one unit of work."""

    uow_factory: UnitOfWorkFactory

    async def __call__(self, company_ids: Sequence[int], runs: int = 5) -> OverviewView:
        async with self.uow_factory() as uow:
            latest = {cid: (await uow.sync_runs.query(cid, runs, 0)).items for cid in company_ids}
            inbox = {state: (await uow.inbox.query(state, 1, 0)).total for state in EventState}
            newest = (await uow.inbox.query(None, 1, 0)).items
        return OverviewView(latest, inbox, newest[0].received_at if newest else None)
