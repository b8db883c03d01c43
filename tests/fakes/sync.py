"""In-memory sync runs, quarantine and sync lock."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime

from src.application.ports.paging import Page
from src.domain.quarantine import QuarantinedRecord
from src.domain.sync_run import RunStatus, SyncRun
from tests.fakes.store import Store, page_of


class FakeQuarantine:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add_many(self, records: Sequence[QuarantinedRecord]) -> None:
        for r in records:
            key = (r.company_id, r.record_id)
            old = self.s.quarantined.get(key)
            self.s.quarantined[key] = replace(r, id=old.id if old else self.s.next_id())

    async def query(
        self, company_id: int | None, limit: int, offset: int
    ) -> Page[QuarantinedRecord]:
        rows = [
            copy.copy(r) for r in self.s.quarantined.values()
            if company_id is None or r.company_id == company_id
        ]  # fmt: skip
        rows.sort(key=lambda r: (r.quarantined_at, r.id or 0), reverse=True)
        return page_of(rows, limit, offset)


class FakeSyncRuns:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, run: SyncRun) -> SyncRun:
        new = replace(run, id=self.s.next_id(), counts=copy.copy(run.counts))
        self.s.runs[new.id] = new  # type: ignore[index]
        return copy.copy(new)

    async def save(self, run: SyncRun) -> None:
        self.s.runs[run.id] = replace(run, counts=copy.copy(run.counts))  # type: ignore[index]

    async def save_if(
        self, run: SyncRun, expected: RunStatus, stale_before: datetime | None = None
    ) -> bool:
        current = self.s.runs.get(run.id)  # type: ignore[arg-type]
        if current is None or current.status is not expected:
            return False
        if stale_before is not None and not current.last_seen() < stale_before:
            return False
        await self.save(run)
        return True

    async def heartbeat(self, run_id: int, at: datetime) -> None:
        current = self.s.runs.get(run_id)
        if current is not None and current.status is RunStatus.RUNNING:
            current.heartbeat_at = at

    async def lost(self, stale_before: datetime, limit: int) -> list[SyncRun]:
        rows = sorted(
            (r for r in self.s.runs.values() if r.is_lost(stale_before)), key=lambda r: r.id or 0
        )
        return [replace(r, counts=copy.copy(r.counts)) for r in rows[:limit]]

    async def get(self, run_id: int) -> SyncRun | None:
        r = self.s.runs.get(run_id)
        return replace(r, counts=copy.copy(r.counts)) if r else None

    async def last_succeeded(self, company_id: int, kind: str | None = None) -> SyncRun | None:
        rows = [
            r for r in self.s.runs.values()
            if r.company_id == company_id and r.status is RunStatus.SUCCEEDED
            and (kind is None or r.kind == kind)
        ]  # fmt: skip
        last = max(rows, key=lambda r: r.started_at, default=None)
        return replace(last, counts=copy.copy(last.counts)) if last else None

    async def query(self, company_id: int | None, limit: int, offset: int) -> Page[SyncRun]:
        rows = [r for r in self.s.runs.values() if company_id is None or r.company_id == company_id]
        rows.sort(key=lambda r: r.id or 0, reverse=True)
        return page_of([replace(r, counts=copy.copy(r.counts)) for r in rows], limit, offset)


class FakeSyncLock:
    def __init__(self) -> None:
        self.held: set[int] = set()

    @asynccontextmanager
    async def hold(self, company_id: int):  # type: ignore[no-untyped-def]
        if company_id in self.held:
            yield False
            return
        self.held.add(company_id)
        try:
            yield True
        finally:
            self.held.discard(company_id)
