"""The task-queue port over taskiq: kicks tasks by name, so adapters need not import the
entrypoint module that defines them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from taskiq import AsyncBroker, TaskiqMessage, TaskiqMiddleware
from taskiq.kicker import AsyncKicker
from taskiq.utils import maybe_awaitable
from taskiq_redis import RedisStreamBroker

from src.application.batching import Batcher

log = logging.getLogger(__name__)

PROCESS_WEBHOOK_EVENT = "process_webhook_event"
PROCESS_INBOX = "process_inbox"
SYNC_BOOKINGS = "sync_bookings"
# How long a "drain queued" marker holds without its task starting. It only bounds how long
# a lost message (a stream trimmed, Redis restarted) delays the next kick; the sweeper
# catches anything left after that.
DRAIN_MARKER_SECONDS = 30.0


class DrainMarkers:
    """ "A `process_inbox` task for this company is queued and has not claimed yet."

    The accept path sets a company's marker and kicks a drain only when it was not set; the
    drain clears it right before each claim (inside the batch lock). Every event committed
    before a set that found the marker already there is therefore seen by a claim after the
    clear, and events committed after the clear kick a new drain. So a backlog arriving at
    any rate costs about one task per batch, not one per event, and a single delivery with no
    backlog is still one kick at once. With Redis the marker is a key shared by the web and
    worker processes (SET NX PX); in one process (in-memory broker) it is a set."""

    def __init__(self, redis_pool: Any | None = None, prefix: str = "inbox-drain") -> None:
        self.pool = redis_pool
        self.prefix = prefix
        self._local: set[int] = set()

    def _key(self, company_id: int) -> str:
        return f"{self.prefix}:{company_id}"

    async def mark(self, company_ids: Sequence[int]) -> list[bool]:
        """Set each company's marker; True where it was not set (that company needs a kick)."""
        if self.pool is None:
            fresh = [c not in self._local for c in company_ids]
            self._local.update(company_ids)
            return fresh
        async with Redis(connection_pool=self.pool) as redis:
            pipe = redis.pipeline(transaction=False)
            for company_id in company_ids:
                pipe.set(self._key(company_id), b"1", nx=True, px=int(DRAIN_MARKER_SECONDS * 1000))
            return [bool(done) for done in await pipe.execute()]

    async def clear(self, company_id: int) -> None:
        if self.pool is None:
            self._local.discard(company_id)
            return
        async with Redis(connection_pool=self.pool) as redis:
            await redis.delete(self._key(company_id))


def drain_markers(broker: AsyncBroker) -> DrainMarkers:
    """The broker's markers: one object shared by the web process and in-process tasks."""
    markers: DrainMarkers | None = getattr(broker.state, "drain_markers", None)
    if markers is None:
        if isinstance(broker, RedisStreamBroker):
            markers = DrainMarkers(broker.connection_pool, f"{broker.queue_name}:inbox-drain")
        else:
            markers = DrainMarkers()
        broker.state.drain_markers = markers
    return markers


_sending: set[asyncio.Future[None]] = set()  # sends in flight (a task needs a reference)


def _sent(task: asyncio.Future[None]) -> None:
    _sending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        # Stored and committed: the inbox sweeper enqueues it again.
        log.error("webhook_enqueue_failed", exc_info=task.exception())


class TaskiqQueue:
    """On a Redis stream broker, webhook events enqueued at the same time (the web process
    under load) go out in one round trip: a pipeline of XADDs, each message built exactly
    as taskiq's `kiq` builds it. The caller does not wait for that round trip: its event is
    committed already, the answer to YClients does not depend on the enqueue, and an event
    whose message is lost (Redis down, process stopped) is enqueued again by the inbox
    sweeper. Waiting cost the webhook ~10% of its throughput at 64 senders."""

    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker
        self._webhooks: Batcher[int, None] | None = None
        self._drains: Batcher[int, None] | None = None
        self.markers = drain_markers(broker)
        if isinstance(broker, RedisStreamBroker):
            self._webhooks = Batcher(self._kick_webhook_events, max_items=500)
            self._drains = Batcher(self._kick_drains, max_items=500)

    async def process_inbox(self, company_id: int) -> None:
        """Kick a drain of the company's inbox unless one is queued (`DrainMarkers`). With
        Redis, concurrent kicks share one round trip for the markers and one for the
        messages, sent in the background as webhook tasks are."""
        if self._drains is not None:
            task = asyncio.ensure_future(self._drains.submit(company_id))
            _sending.add(task)
            task.add_done_callback(_sent)
        elif (await self.markers.mark([company_id]))[0]:
            await self._kicker(PROCESS_INBOX).kiq(company_id)

    async def _kick_drains(self, company_ids: Sequence[int]) -> list[None]:
        distinct = list(dict.fromkeys(company_ids))
        fresh = await self.markers.mark(distinct)
        kick = [c for c, f in zip(distinct, fresh, strict=True) if f]
        try:
            await self._send(PROCESS_INBOX, kick)
        except Exception:
            for company_id in kick:  # not sent: the next event must kick again
                await self.markers.clear(company_id)
            raise
        return [None] * len(company_ids)

    async def process_webhook_event(self, event_id: int) -> None:
        if self._webhooks is not None:
            task = asyncio.ensure_future(self._webhooks.submit(event_id))
            _sending.add(task)
            task.add_done_callback(_sent)
        else:
            await self._kicker(PROCESS_WEBHOOK_EVENT).kiq(event_id)

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        await self._kicker(SYNC_BOOKINGS).kiq(company_id, trigger, run_id)

    def _kicker(self, name: str) -> AsyncKicker[Any, Any]:
        # The task's own labels (retry_on_error, max_retries) must travel with the message,
        # or the retry middleware never sees them.
        task = self.broker.find_task(name)
        return AsyncKicker(name, self.broker, dict(task.labels) if task else {})

    async def _kick_webhook_events(self, event_ids: Sequence[int]) -> list[None]:
        await self._send(PROCESS_WEBHOOK_EVENT, event_ids)
        return [None] * len(event_ids)

    async def _send(self, task_name: str, args: Sequence[int]) -> None:
        """One message per argument in one pipeline: what AsyncKicker.kiq does for one
        message (taskiq 0.11), for several at once."""
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
