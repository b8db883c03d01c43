"""The in-process runner: the task table run as asyncio tasks of this process, and the
schedule table as asyncio loops (the embedded run: no Redis, one process)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pycron  # type: ignore[import-untyped]

from src.adapters.tasks.gate import MemoryDrainGate
from src.adapters.tasks.table import DRAIN_INBOX, RETRY_EVENT, SYNC_BOOKINGS, TASKS, Entry, TaskWork

log = logging.getLogger(__name__)


def next_cron(cron: str, after: datetime) -> datetime:
    """The first minute after `after` (UTC) that `cron` matches."""
    at = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(60 * 24 * 366):
        if pycron.is_now(cron, at):
            return at
        at += timedelta(minutes=1)
    raise ValueError(f"cron {cron!r} matches no minute in a year")


class InProcessRunner:
    """`TaskQueue` whose tasks run here, as the taskiq worker would run them (the same table,
    the same use cases); a failing task is logged, not retried (an event retries by its own
    `retry_at`)."""

    def __init__(self) -> None:
        self.gate = MemoryDrainGate()
        self.work: TaskWork | None = None
        self.ran: list[str] = []  # names of the tasks started, in order
        self._running: set[asyncio.Task[Any]] = set()
        self._waiting: set[asyncio.Task[Any]] = set()  # delayed, not started yet
        self._schedule: list[asyncio.Task[None]] = []

    def serve(self, work: TaskWork) -> None:
        self.work = work

    async def kick_drain(self, company_id: int) -> None:
        if (await self.gate.mark([company_id]))[0]:
            self.run(DRAIN_INBOX, company_id)

    async def retry_event(self, event_id: int, at: datetime | None = None) -> None:
        delay = (at - datetime.now(UTC)).total_seconds() if at is not None else 0.0
        self.run(RETRY_EVENT, event_id, delay=delay)

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        self.run(SYNC_BOOKINGS, company_id, trigger, run_id)

    def run(self, name: str, *args: Any, delay: float = 0.0) -> None:
        """Start task `name` (after `delay` seconds) in the background."""
        self._spawn(self._task(name, args, delay))

    async def _task(self, name: str, args: tuple[Any, ...], delay: float) -> Any:
        if delay > 0:
            me = asyncio.current_task()
            assert me is not None
            self._waiting.add(me)
            try:
                await asyncio.sleep(delay)
            finally:
                self._waiting.discard(me)
        assert self.work is not None, "serve() was not called"
        self.ran.append(name)
        try:
            return await TASKS[name](self.work, *args)
        except Exception:
            log.exception("task_failed", extra={"task": name})
            return None

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def start_schedule(self, schedule: Iterable[Entry]) -> None:
        """The schedule table: kicks at start, then every interval or at each cron time."""
        for entry in schedule:
            if entry.at_start is not None:
                self.run(entry.task, *entry.at_start)
            self._schedule.append(asyncio.create_task(self._every(entry)))

    async def _every(self, entry: Entry) -> None:
        while True:
            now = datetime.now(UTC)
            if entry.cron is not None:
                await asyncio.sleep((next_cron(entry.cron, now) - now).total_seconds())
            self.run(entry.task, *entry.args)
            if entry.seconds is not None:
                await asyncio.sleep(max(entry.seconds, 1.0))

    async def wait_idle(self) -> None:
        """Until no task is running (tasks a task starts included; delayed ones too)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def stop(self) -> None:
        for task in self._schedule:
            task.cancel()
        await asyncio.gather(*self._schedule, return_exceptions=True)
        self._schedule.clear()
        for task in list(self._waiting):  # a retry due later: its event is stored, PENDING
            task.cancel()
        await self.wait_idle()
