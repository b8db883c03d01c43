"""Paging a record window: pages requested ahead are cancelled when nobody reads them, and a
record repeated by a window that shifts between pages is dropped."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime

from src.adapters.yclients.mapping import DecodedPage
from src.domain.record import YClientsRecord


async def cancel_pending(tasks: deque[asyncio.Task[DecodedPage]]) -> None:
    """Stop pages requested ahead that nobody will read (the caller stopped, or failed)."""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as lost


class RecentVersions:
    """The versions yielded on the last few pages: a window shifting while we page repeats a
    record on the next page (the pages requested ahead included), never further away, so
    memory stays bounded by the page size whatever the window holds."""

    def __init__(self, pages: int) -> None:
        self._pages: deque[dict[int, datetime]] = deque(maxlen=pages)

    def get(self, record_id: int) -> datetime | None:
        for page in self._pages:
            seen = page.get(record_id)
            if seen is not None:
                return seen
        return None

    def add_page(self, versions: dict[int, datetime]) -> None:
        self._pages.append(versions)


def dedupe(records: list[YClientsRecord], seen: RecentVersions) -> list[YClientsRecord]:
    out = []
    page: dict[int, datetime] = {}
    for record in records:
        previous = page.get(record.record_id) or seen.get(record.record_id)
        if previous is not None and record.last_change_at <= previous:
            continue
        page[record.record_id] = record.last_change_at
        out.append(record)
    seen.add_page(page)
    return out
