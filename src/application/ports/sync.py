"""Sync ports: sync runs, records set aside (quarantine) and the per-company lock."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from src.application.ports.paging import Page
from src.domain.quarantine import QuarantinedRecord
from src.domain.sync_run import RunStatus, SyncRun


class QuarantineRepository(Protocol):
    async def add_many(self, records: Sequence[QuarantinedRecord]) -> None:
        """Store (or refresh the reason of) records set aside, keyed by company + record."""
        ...

    async def query(
        self, company_id: int | None, limit: int, offset: int
    ) -> Page[QuarantinedRecord]: ...


class SyncRunRepository(Protocol):
    async def add(self, run: SyncRun) -> SyncRun: ...

    async def save(self, run: SyncRun) -> None: ...

    async def save_if(
        self, run: SyncRun, expected: RunStatus, stale_before: datetime | None = None
    ) -> bool:
        """Save only if the stored run is still `expected` and (with `stale_before`) was
        last seen before then; atomic, so of two workers exactly one wins."""
        ...

    async def heartbeat(self, run_id: int, at: datetime) -> None:
        """A RUNNING run's sign of life."""
        ...

    async def lost(self, stale_before: datetime, limit: int) -> list[SyncRun]:
        """QUEUED or RUNNING runs last seen before `stale_before`, oldest first."""
        ...

    async def get(self, run_id: int) -> SyncRun | None: ...

    async def last_succeeded(self, company_id: int, kind: str | None = None) -> SyncRun | None:
        """The company's SUCCEEDED run (of `kind`, if given) that started last."""
        ...

    async def query(self, company_id: int | None, limit: int, offset: int) -> Page[SyncRun]: ...


class SyncLock(Protocol):
    def hold(self, company_id: int) -> AbstractAsyncContextManager[bool]:
        """`async with lock.hold(cid) as acquired:`; acquired is False if already held."""
        ...
