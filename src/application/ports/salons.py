"""The salons port: the salons table, and what the Salons page shows about each salon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from src.domain.salon import Salon


@dataclass(frozen=True, slots=True)
class SalonActivity:
    """One company's webhooks and syncs, as the Salons page shows them (also for a company
    id that is not a salon: webhooks seen from it are held)."""

    company_id: int
    webhooks_since: int = 0  # received since the time asked for (today, on the page)
    held: int = 0  # HELD webhooks: the salon is paused, or unknown
    last_sync_at: datetime | None = None  # the last SUCCEEDED sync's finish
    last_sync_status: str | None = None  # the newest finished run's status
    last_run_kind: str | None = None  # ... its kind (full / incremental)
    last_run_requests: int | None = None  # ... and the YClients pages it read


class SalonRepository(Protocol):
    async def add_if_missing(self, salon: Salon) -> bool:
        """Insert unless a salon with this company id exists (then nothing changes): one
        statement, so concurrent starts and double submits create it once. True if added."""
        ...

    async def get(self, company_id: int) -> Salon | None: ...

    async def all(self) -> list[Salon]:
        """Every salon, by company id."""
        ...

    async def active_ids(self) -> list[int]:
        """Company ids of the active salons, ascending."""
        ...

    async def claim_due(self, now: datetime, interval: timedelta) -> list[int]:
        """The scheduler's tick: active salons whose `next_sync_at` has come move to their
        next slot (`sync_schedule.next_slot` of the salon's row id); their company ids,
        ascending. A salon without
        one (never scheduled) only gets its slot. One statement on PostgreSQL, whatever the
        number of salons; concurrent ticks claim disjoint salons."""
        ...

    async def sync_failed(self, company_id: int) -> int:
        """One more failed run in a row for the salon: how many now (0: no such salon)."""
        ...

    async def defer_sync(self, company_id: int, until: datetime) -> None:
        """The salon's next scheduled sync no earlier than `until` (backoff)."""
        ...

    async def sync_succeeded(self, company_id: int) -> None:
        """The salon's failures in a row back to 0."""
        ...

    async def save(self, salon: Salon) -> bool:
        """Name, region, time zone, status, secret and `changed_at` of the stored salon;
        False when there is none."""
        ...

    async def release_held(self, company_ids: list[int] | None, at: datetime) -> dict[int, int]:
        """HELD webhook events of these companies (None: of every active salon) become
        PENDING, seen at `at`; how many per company."""
        ...

    async def activity(self, since: datetime) -> list[SalonActivity]:
        """Per company id (salon or not) that has any: webhooks received since `since`, held
        webhooks, last successful sync; by company id."""
        ...
