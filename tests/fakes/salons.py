"""In-memory salons (`SalonRepository`)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta

from src.application.ports.salons import SalonActivity
from src.domain.inbox import EventState
from src.domain.salon import Salon
from src.domain.sync_run import RunStatus
from src.domain.sync_schedule import next_slot
from tests.fakes.store import Store


class FakeSalons:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add_if_missing(self, salon: Salon) -> bool:
        if salon.company_id in self.s.salons:
            return False
        self.s.salons[salon.company_id] = replace(salon, id=self.s.next_id())
        return True

    async def get(self, company_id: int) -> Salon | None:
        salon = self.s.salons.get(company_id)
        return copy.copy(salon) if salon else None

    async def all(self) -> list[Salon]:
        return [copy.copy(self.s.salons[c]) for c in sorted(self.s.salons)]

    async def active_ids(self) -> list[int]:
        return sorted(c for c, salon in self.s.salons.items() if salon.active)

    async def save(self, salon: Salon) -> bool:
        old = self.s.salons.get(salon.company_id)
        if old is None:
            return False
        self.s.salons[salon.company_id] = replace(
            salon, id=old.id, created_at=old.created_at,
            next_sync_at=old.next_sync_at, sync_failures=old.sync_failures,
        )  # fmt: skip
        return True

    async def claim_due(self, now: datetime, interval: timedelta) -> list[int]:
        due = []
        for cid, salon in self.s.salons.items():
            if salon.active and (salon.next_sync_at is None or salon.next_sync_at <= now):
                if salon.next_sync_at is not None:
                    due.append(cid)
                salon.next_sync_at = next_slot(salon.id or 0, now, interval)
        return sorted(due)

    async def sync_failed(self, company_id: int) -> int:
        salon = self.s.salons.get(company_id)
        if salon is None:
            return 0
        salon.sync_failures += 1
        return salon.sync_failures

    async def defer_sync(self, company_id: int, until: datetime) -> None:
        salon = self.s.salons.get(company_id)
        if salon is not None and (salon.next_sync_at is None or salon.next_sync_at < until):
            salon.next_sync_at = until

    async def sync_succeeded(self, company_id: int) -> None:
        if company_id in self.s.salons:
            self.s.salons[company_id].sync_failures = 0

    async def release_held(self, company_ids: list[int] | None, at: datetime) -> dict[int, int]:
        wanted = set(company_ids) if company_ids is not None else set(await self.active_ids())
        released: dict[int, int] = {}
        for e in self.s.events.values():
            if e.state is EventState.HELD and e.company_id in wanted:
                e.state, e.attempted_at = EventState.PENDING, at
                released[e.company_id] = released.get(e.company_id, 0) + 1
        return released

    async def activity(self, since: datetime) -> list[SalonActivity]:
        found: dict[int, dict[str, object]] = {}
        for e in self.s.events.values():
            row = found.setdefault(e.company_id, {})
            if e.received_at >= since:
                row["webhooks_since"] = int(row.get("webhooks_since", 0)) + 1  # type: ignore[call-overload]
            if e.state is EventState.HELD:
                row["held"] = int(row.get("held", 0)) + 1  # type: ignore[call-overload]
        for r in sorted(self.s.runs.values(), key=lambda r: r.id or 0):
            if r.finished_at is None:
                continue
            row = found.setdefault(r.company_id, {})
            row["last_sync_status"] = r.status.value
            row["last_run_kind"], row["last_run_requests"] = r.kind, r.counts.requests
            if r.status is RunStatus.SUCCEEDED:
                last = row.get("last_sync_at")
                if last is None or r.finished_at > last:  # type: ignore[operator]
                    row["last_sync_at"] = r.finished_at
        return [SalonActivity(cid, **found[cid]) for cid in sorted(found)]  # type: ignore[arg-type]
