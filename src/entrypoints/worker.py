"""taskiq: the broker, the tasks, and the schedule.

`taskiq worker src.entrypoints.worker:broker` runs workers, `taskiq scheduler
src.entrypoints.worker:scheduler` the (single) scheduler. With `REDIS_URL` the broker is a
Redis stream (messages are acknowledged after the task finishes, so a task held by a worker
that dies is delivered again); without it, an in-memory broker runs tasks inside the web
process. The container (database, YClients client) is built when a worker starts, never at
import; the web process hands its own container to the broker instead.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import start_http_server
from taskiq import (
    AsyncBroker,
    Context,
    InMemoryBroker,
    ScheduleSource,
    SmartRetryMiddleware,
    TaskiqDepends,
    TaskiqEvents,
    TaskiqScheduler,
    TaskiqState,
)
from taskiq.kicker import AsyncKicker
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import ListRedisScheduleSource, RedisAsyncResultBackend, RedisStreamBroker

from src.adapters.task_queue import (
    PROCESS_INBOX,
    PROCESS_WEBHOOK_EVENT,
    SYNC_BOOKINGS,
    TaskiqQueue,
    drain_markers,
)
from src.application.errors import NotFound, YClientsDisabled
from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.logs import configure_logging
from src.entrypoints.metrics import install_metrics
from src.entrypoints.settings import Settings, load_settings

log = logging.getLogger(__name__)

SYNC_ALL = "sync_all"
SWEEP_INBOX = "sweep_inbox"
REAP_SYNC_RUNS = "reap_sync_runs"
RECONCILE_POINTS = "reconcile_points"
RECONCILE_POINTS_CRON = "15 3 * * *"  # daily, 03:15 UTC: a quiet hour for the salons
EXPIRE_POINTS = "expire_points"
EXPIRE_POINTS_CRON = "45 3 * * *"  # daily, 03:45 UTC


class DelayedRetryMiddleware(SmartRetryMiddleware):
    """SmartRetryMiddleware whose delay also holds without a schedule source.

    With Redis, retries go through a schedule source that the scheduler reads (the delay
    survives restarts). In memory there is no scheduler process, so the retry is sent after
    sleeping in the background instead of at once.
    """

    async def on_send(self, kicker: AsyncKicker[Any, Any], message: Any, delay: float) -> None:
        if self.schedule_source is not None:
            await super().on_send(kicker, message, delay)
            return

        async def later() -> None:
            await asyncio.sleep(delay)
            await kicker.kiq(*message.args, **message.kwargs)

        task = asyncio.create_task(later())
        _background.add(task)
        task.add_done_callback(_background.discard)


_background: set[asyncio.Task[None]] = set()


def build_broker(settings: Settings) -> AsyncBroker:
    """A broker with the retry middleware and every task registered."""
    retry_source: ScheduleSource | None = None
    broker: AsyncBroker
    if settings.REDIS_URL:
        queue = settings.TASK_QUEUE_NAME
        retry_source = ListRedisScheduleSource(settings.REDIS_URL, prefix=f"{queue}:retry")
        broker = RedisStreamBroker(
            settings.REDIS_URL,
            queue_name=queue,
            consumer_group_name=f"{queue}-workers",
            idle_timeout=settings.TASK_REDELIVERY_SECONDS * 1000,
        ).with_result_backend(RedisAsyncResultBackend(settings.REDIS_URL, result_ex_time=3600))
    else:
        broker = InMemoryBroker(max_stored_results=1000)
    broker.add_middlewares(
        DelayedRetryMiddleware(
            default_retry_count=settings.WEBHOOK_MAX_ATTEMPTS,
            default_delay=settings.WEBHOOK_RETRY_DELAY_SECONDS,
            use_jitter=True,
            use_delay_exponent=True,
            max_delay_exponent=300,
            schedule_source=retry_source,
        )
    )
    broker.state.settings = settings
    broker.state.retry_source = retry_source
    _register_tasks(broker, settings)
    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, _worker_startup)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, _worker_shutdown)
    return broker


class CheckedScheduler(TaskiqScheduler):
    """The scheduler refuses to start with default or short secrets (unless APP_ENV=dev)."""

    async def startup(self) -> None:
        self.broker.state.settings.check_secrets()
        await super().startup()


def build_scheduler(broker: AsyncBroker) -> TaskiqScheduler:
    sources: list[ScheduleSource] = [LabelScheduleSource(broker)]
    if broker.state.retry_source is not None:
        sources.append(broker.state.retry_source)
    return CheckedScheduler(broker, sources)


def attach_container(broker: AsyncBroker, container: Container) -> None:
    """The web process (and tests) share their container with in-process tasks."""
    broker.state.container = container
    container.attach_queue(TaskiqQueue(broker))


async def _worker_startup(state: TaskiqState) -> None:
    if getattr(state, "container", None) is not None:
        return  # in-memory broker inside the web process: it attached its container
    settings: Settings = state.settings
    settings.check_secrets()  # a worker started without `just worker` refuses them too
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    install_metrics()
    if settings.WORKER_METRICS_PORT:
        start_http_server(settings.WORKER_METRICS_PORT, addr=settings.HOST)
    container = build_container(settings)
    await container.configure_levels(settings.LOYALTY_LEVELS)
    await container.record_ttl()  # POINTS_TTL_DAYS applies to lots credited from now on
    state.container = container
    state.owns_container = True
    container.queue.target = TaskiqQueue(state.broker)
    # Queued, not awaited: the task itself checks whether LOYALTY_ENABLED changed since the
    # last complete reconciliation, so every worker may ask and the work is done once.
    kicker: AsyncKicker[Any, Any] = AsyncKicker(RECONCILE_POINTS, state.broker, {})
    await kicker.kiq(True)
    log.info("worker_started", extra={"redis": bool(settings.REDIS_URL)})


async def _worker_shutdown(state: TaskiqState) -> None:
    if getattr(state, "owns_container", False):
        await state.container.aclose()
        state.container = None


def _container(context: Context) -> Container:
    return context.state.container  # type: ignore[no-any-return]


def _register_tasks(broker: AsyncBroker, settings: Settings) -> None:
    broker.state.broker = broker
    max_attempts = settings.WEBHOOK_MAX_ATTEMPTS

    @broker.task(task_name=PROCESS_WEBHOOK_EVENT, retry_on_error=True, max_retries=max_attempts)
    async def process_webhook_event(event_id: int, context: Context = TaskiqDepends()) -> str:
        """Apply one inbox event; retried with backoff, DEAD after the last attempt."""
        attempt = int(context.message.labels.get("_retries", 0)) + 1
        try:
            state = await _container(context).process_webhook(
                event_id, final_attempt=attempt >= max_attempts
            )
        except NotFound as exc:
            if "webhook event" in str(exc):
                return "missing"  # nothing to retry
            raise
        return state.value

    @broker.task(task_name=PROCESS_INBOX, retry_on_error=True, max_retries=max_attempts)
    async def process_inbox(
        company_id: int | None = None, context: Context = TaskiqDepends()
    ) -> dict[str, Any]:
        """Drain PENDING events (of one company, or of all) a batch at a time until none is
        claimable. Kicked by the accept path, coalesced by the company's drain marker, which
        is cleared before every claim (`DrainMarkers`). A drain that stops at its batch limit
        queues the rest as a new task, so a steady stream does not hold one task forever.
        An event that failed keeps its error and is handed to its own `process_webhook_event`
        task, which retries it with the task's backoff and makes it DEAD after the last
        attempt, as a lone delivery's task does."""
        container = _container(context)
        markers = drain_markers(context.broker)

        async def clear() -> None:
            if company_id is not None:
                await markers.clear(company_id)

        drained = await container.process_inbox.drain(company_id, before_claim=clear)
        for event_id in drained.failed:
            await container.queue.process_webhook_event(event_id)
        if drained.more and company_id is not None:
            await container.queue.process_inbox(company_id)  # unless one is queued meanwhile
        elif drained.more:
            await _kicker(context.broker, PROCESS_INBOX).kiq(None)
        return {"processed": drained.processed, "failed": len(drained.failed), "more": drained.more}

    @broker.task(task_name=SYNC_BOOKINGS)
    async def sync_bookings(
        company_id: int, trigger: str = "schedule", run_id: int | None = None,
        context: Context = TaskiqDepends(),
    ) -> dict[str, Any]:  # fmt: skip
        """One company's sync; returns the run (as the manual route shows it)."""
        try:
            run = await _container(context).sync(company_id, trigger, run_id)
        except YClientsDisabled as exc:
            return {"run_id": run_id, "status": "SKIPPED", "error": str(exc)}
        return {"run_id": run.id, "status": run.status.value}

    @broker.task(
        task_name=SYNC_ALL,
        schedule=[{"interval": settings.sync_interval_seconds, "args": ["schedule"]}],
    )
    async def sync_all(trigger: str = "schedule", context: Context = TaskiqDepends()) -> int:
        """Fan out: one sync task per configured company, so workers share a chain's load."""
        container = _container(context)
        if not container.switches.yclients_enabled:
            log.info("scheduled_sync_skipped", extra={"reason": "YCLIENTS_ENABLED=false"})
            return 0
        for company_id in container.settings.YCLIENTS_COMPANY_IDS:
            await container.queue.sync_company(company_id, trigger)
        return len(container.settings.YCLIENTS_COMPANY_IDS)

    @broker.task(
        task_name=SWEEP_INBOX, schedule=[{"interval": settings.INBOX_SWEEP_INTERVAL_SECONDS}]
    )
    async def sweep_inbox(context: Context = TaskiqDepends()) -> int:
        """Re-enqueue inbox events left PENDING (crash between commit and enqueue)."""
        return await _container(context).sweep_inbox()

    @broker.task(
        task_name=REAP_SYNC_RUNS, schedule=[{"interval": settings.SYNC_REAP_INTERVAL_SECONDS}]
    )
    async def reap_sync_runs(context: Context = TaskiqDepends()) -> list[int]:
        """Fail RUNNING runs whose worker is lost; enqueue again QUEUED runs left behind."""
        return list(await _container(context).reap_sync_runs())

    @broker.task(
        task_name=RECONCILE_POINTS,
        schedule=[{"cron": RECONCILE_POINTS_CRON, "args": [False]}],
    )
    async def reconcile_points(
        only_if_switch_changed: bool = False, context: Context = TaskiqDepends()
    ) -> dict[str, Any]:
        """Every booking's points brought in line with its entitlement (daily; at worker
        startup only when `LOYALTY_ENABLED` changed since the last complete run)."""
        result = await _container(context).reconcile_points(
            only_if_switch_changed=only_if_switch_changed
        )
        return {
            "checked": result.checked,
            "points": str(result.points),
            "skipped": result.skipped,
        }

    @broker.task(task_name=EXPIRE_POINTS, schedule=[{"cron": EXPIRE_POINTS_CRON, "args": []}])
    async def expire_points(context: Context = TaskiqDepends()) -> dict[str, Any]:
        """One EXPIRY entry per lot whose time has come; reminders once per lot."""
        result = await _container(context).expire_points()
        return {"lots": result.lots, "points": str(result.points), "reminders": result.reminders}


def _kicker(broker: AsyncBroker, name: str) -> AsyncKicker[Any, Any]:
    task = broker.find_task(name)
    return AsyncKicker(name, broker, dict(task.labels) if task else {})


class InProcessScheduler:
    """The embedded run's scheduler: the same schedule, as asyncio tasks in the web process."""

    def __init__(self, broker: AsyncBroker, settings: Settings) -> None:
        self.broker = broker
        self.settings = settings
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        sync_every = timedelta(seconds=self.settings.sync_interval_seconds)
        sweep_every = timedelta(seconds=self.settings.INBOX_SWEEP_INTERVAL_SECONDS)
        # (task, interval, args, args of the first kick at start)
        every: list[tuple[str, timedelta, tuple[Any, ...], tuple[Any, ...]]] = [
            (SYNC_ALL, sync_every, ("schedule",), ("schedule",)),
            (SWEEP_INBOX, sweep_every, (), ()),
            # At start only if LOYALTY_ENABLED changed (True), then daily in full (False).
            (RECONCILE_POINTS, timedelta(days=1), (False,), (True,)),
            (EXPIRE_POINTS, timedelta(days=1), (), ()),
            (REAP_SYNC_RUNS, timedelta(seconds=self.settings.SYNC_REAP_INTERVAL_SECONDS), (), ()),
        ]
        for name, interval, args, first in every:
            self._tasks.append(asyncio.create_task(self._every(name, interval, args, first)))

    async def _every(
        self, name: str, interval: timedelta, args: tuple[Any, ...], first: tuple[Any, ...]
    ) -> None:
        while True:
            started = datetime.now(UTC)
            try:
                await AsyncKicker(name, self.broker, {}).kiq(*first)
            except Exception:
                log.exception("schedule_kick_failed", extra={"task": name})
            first = args
            elapsed = datetime.now(UTC) - started
            await asyncio.sleep(max((interval - elapsed).total_seconds(), 1.0))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


# What the taskiq CLI imports. Only settings are read here; connections are made on startup.
broker = build_broker(load_settings())
scheduler = build_scheduler(broker)
