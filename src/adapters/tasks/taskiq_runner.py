"""The taskiq runner: the task table registered on a broker (a Redis stream, or taskiq's
in-memory broker), the schedule table as the tasks' `schedule` labels, and the `TaskQueue`
port over it.

No retry middleware: an event's one retry policy is its own `retry_at` (see `DrainInbox`),
and a task that raises is not sent again (a Redis stream still delivers again a message whose
worker died before acknowledging it)."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import inspect
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from taskiq import AsyncBroker, InMemoryBroker, ScheduleSource, TaskiqMessage, TaskiqMiddleware
from taskiq.kicker import AsyncKicker
from taskiq.utils import maybe_awaitable
from taskiq_redis import RedisAsyncResultBackend, RedisStreamBroker

from src.adapters.tasks.gate import MemoryDrainGate, RedisDrainGate
from src.adapters.tasks.retry_source import RetrySource
from src.adapters.tasks.table import (
    ALIASES,
    DRAIN_INBOX,
    RETRY_EVENT,
    SYNC_BOOKINGS,
    TASKS,
    Body,
    Entry,
    TaskWork,
)
from src.application.batching import Batcher
from src.application.ports.tasks import DrainGate

log = logging.getLogger(__name__)


def build_broker(
    schedule: Sequence[Entry],
    *,
    redis_url: str | None = None,
    queue_name: str = "taskiq",
    redelivery_seconds: float = 600,
) -> AsyncBroker:
    """A broker with every task of the table (and its old names) registered; nothing is
    connected until `startup`. The use cases are handed over later (`TaskiqRunner.serve`)."""
    broker: AsyncBroker
    if redis_url:
        broker = RedisStreamBroker(
            redis_url,
            queue_name=queue_name,
            consumer_group_name=f"{queue_name}-workers",
            idle_timeout=int(redelivery_seconds * 1000),
        ).with_result_backend(RedisAsyncResultBackend(redis_url, result_ex_time=3600))
        broker.state.retry_source = RetrySource(redis_url, prefix=f"{queue_name}:retry")
    else:
        broker = InMemoryBroker(max_stored_results=1000)
        broker.state.retry_source = None
    labels = _schedule_labels(schedule)
    for name, body in TASKS.items():
        _register(broker, name, body, labels.get(name))
    for old, name in ALIASES.items():
        _register(broker, old, TASKS[name], None)
    return broker


def _schedule_labels(schedule: Iterable[Entry]) -> dict[str, list[dict[str, Any]]]:
    """The schedule table as taskiq's `schedule` labels (read by `LabelScheduleSource`)."""
    labels: dict[str, list[dict[str, Any]]] = {}
    for entry in schedule:
        when: dict[str, Any] = (
            {"cron": entry.cron} if entry.cron else {"interval": max(1, round(entry.seconds or 1))}
        )
        labels.setdefault(entry.task, []).append({**when, "args": list(entry.args)})
    return labels


def _register(
    broker: AsyncBroker, name: str, body: Body, schedule: list[dict[str, Any]] | None
) -> None:
    async def task(*args: Any, **kwargs: Any) -> Any:
        work: TaskWork = broker.state.work
        return _plain(await body(work, *args, **kwargs))

    # The body's parameters without its first (`work`): what a message carries.
    params = list(inspect.signature(body).parameters.values())[1:]
    task.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    task.__name__ = name
    extra = {"schedule": schedule} if schedule else {}
    broker.register_task(task, task_name=name, **extra)


def _plain(value: Any) -> Any:
    """A task's result as JSON can carry it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal | datetime):
        return str(value)
    return value


def drain_gate(broker: AsyncBroker) -> DrainGate:
    """The broker's gate: one object shared by the web process and the tasks it runs."""
    gate: DrainGate | None = getattr(broker.state, "drain_gate", None)
    if gate is None:
        if isinstance(broker, RedisStreamBroker):
            gate = RedisDrainGate(broker.connection_pool, f"{broker.queue_name}:inbox-drain")
        else:
            gate = MemoryDrainGate()
        broker.state.drain_gate = gate
    return gate


_in_flight: set[asyncio.Future[None]] = set()  # sends in flight (a task needs a reference)


def _sent(task: asyncio.Future[None]) -> None:
    _in_flight.discard(task)
    if not task.cancelled() and task.exception() is not None:
        # Stored and committed: the inbox sweeper kicks it again.
        log.error("webhook_enqueue_failed", exc_info=task.exception())


class TaskiqRunner:
    """`TaskQueue` over a taskiq broker.

    On a Redis stream, kicks made at the same time (the web process under load) go out in one
    round trip: a pipeline of XADDs, each message built exactly as taskiq's `kiq` builds it.
    The caller does not wait for that round trip: its event is committed already, the answer
    to YClients does not depend on the kick, and an event whose kick is lost (Redis down,
    process stopped) is kicked again by the inbox sweeper. Waiting cost the webhook ~10% of
    its throughput at 64 senders."""

    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker
        self.gate = drain_gate(broker)
        self.retry_source: ScheduleSource | None = broker.state.retry_source
        self._retries: Batcher[int, None] | None = None
        self._drains: Batcher[int, None] | None = None
        if isinstance(broker, RedisStreamBroker):
            self._retries = Batcher(self._send_retries, max_items=500)
            self._drains = Batcher(self._send_drains, max_items=500)

    def serve(self, work: TaskWork) -> None:
        """Tasks this process runs call these use cases."""
        self.broker.state.work = work

    async def kick_at_start(self, schedule: Iterable[Entry]) -> None:
        """The schedule's kicks at a runner's start (a worker's start)."""
        for entry in schedule:
            if entry.at_start is not None:
                await self._kicker(entry.task).kiq(*entry.at_start)

    async def kick_drain(self, company_id: int) -> None:
        """A drain of the company unless one is queued (`DrainGate`). With Redis, concurrent
        kicks share one round trip for the gates and one for the messages, in the
        background."""
        if self._drains is not None:
            self._background(self._drains.submit(company_id))
        elif (await self.gate.mark([company_id]))[0]:
            await self._kicker(DRAIN_INBOX).kiq(company_id)

    async def retry_event(self, event_id: int, at: datetime | None = None) -> None:
        delay = (at - datetime.now(UTC)).total_seconds() if at is not None else 0.0
        if delay > 0 and self.retry_source is not None:
            # Kept in Redis and sent by the (one) scheduler when due: survives restarts.
            await self._kicker(RETRY_EVENT).schedule_by_time(self.retry_source, at, event_id)  # type: ignore[arg-type]
        elif delay > 0:

            async def later() -> None:
                await asyncio.sleep(delay)
                await self._kicker(RETRY_EVENT).kiq(event_id)

            self._background(later())
        elif self._retries is not None:
            self._background(self._retries.submit(event_id))
        else:
            await self._kicker(RETRY_EVENT).kiq(event_id)

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        await self._kicker(SYNC_BOOKINGS).kiq(company_id, trigger, run_id)

    def _background(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        _in_flight.add(task)
        task.add_done_callback(_sent)

    def _kicker(self, name: str) -> AsyncKicker[Any, Any]:
        task = self.broker.find_task(name)
        return AsyncKicker(name, self.broker, dict(task.labels) if task else {})

    async def _send_drains(self, company_ids: Sequence[int]) -> list[None]:
        distinct = list(dict.fromkeys(company_ids))
        fresh = await self.gate.mark(distinct)
        kick = [c for c, f in zip(distinct, fresh, strict=True) if f]
        try:
            await self._send(DRAIN_INBOX, kick)
        except Exception:
            for company_id in kick:  # not sent: the next event must kick again
                await self.gate.clear(company_id)
            raise
        return [None] * len(company_ids)

    async def _send_retries(self, event_ids: Sequence[int]) -> list[None]:
        await self._send(RETRY_EVENT, event_ids)
        return [None] * len(event_ids)

    async def _send(self, task_name: str, args: Sequence[int]) -> None:
        """One message per argument in one pipeline: what AsyncKicker.kiq does for one
        message (taskiq 0.11+), for several at once."""
        if not args:
            return
        broker = self.broker
        assert isinstance(broker, RedisStreamBroker)
        kicker = self._kicker(task_name)
        messages: list[TaskiqMessage] = []
        for arg in args:
            message = kicker._prepare_message(arg)
            for middleware in broker.middlewares:
                if middleware.__class__.pre_send != TaskiqMiddleware.pre_send:
                    message = await maybe_awaitable(middleware.pre_send(message))
            messages.append(message)
        async with Redis(connection_pool=broker.connection_pool) as redis:
            pipe = redis.pipeline(transaction=False)
            for message in messages:
                sent = broker.formatter.dumps(message)
                pipe.xadd(
                    sent.labels.get("queue_name") or broker.queue_name,
                    {b"data": sent.message},
                    maxlen=broker.maxlen,
                    approximate=broker.approximate,
                )
            await pipe.execute()
        for message in messages:
            for middleware in reversed(broker.middlewares):
                if middleware.__class__.post_send != TaskiqMiddleware.post_send:
                    await maybe_awaitable(middleware.post_send(message))
