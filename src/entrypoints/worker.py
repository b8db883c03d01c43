"""What the taskiq CLI imports: `taskiq worker src.entrypoints.worker:broker` runs workers,
`taskiq scheduler src.entrypoints.worker:scheduler` the (single) scheduler.

Only cheap objects are made at import: the settings are read and the broker and scheduler
objects created (no connection, no container; the task and schedule tables are in
`src/adapters/tasks/`). A worker builds its container when it starts and hands the use cases
to the broker's runner then."""

from __future__ import annotations

import logging

from prometheus_client import start_http_server
from taskiq import AsyncBroker, ScheduleSource, TaskiqEvents, TaskiqScheduler, TaskiqState
from taskiq.schedule_sources import LabelScheduleSource

from src.adapters.tasks.taskiq_runner import TaskiqRunner, build_broker
from src.entrypoints.bootstrap import build_container, task_schedule
from src.entrypoints.logs import configure_logging
from src.entrypoints.metrics import install_metrics
from src.entrypoints.settings import Settings, load_settings

log = logging.getLogger(__name__)


def worker_broker(settings: Settings) -> AsyncBroker:
    """The broker a worker listens on; its container is built at the worker's start."""
    broker = build_broker(
        task_schedule(settings),
        redis_url=settings.REDIS_URL,
        queue_name=settings.TASK_QUEUE_NAME,
        redelivery_seconds=settings.TASK_REDELIVERY_SECONDS,
    )
    broker.state.settings = settings
    broker.state.broker = broker
    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, _worker_startup)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, _worker_shutdown)
    return broker


class CheckedScheduler(TaskiqScheduler):
    """The scheduler refuses to start with default or short secrets (unless APP_ENV=dev)."""

    async def startup(self) -> None:
        self.broker.state.settings.check_secrets()
        await super().startup()


def worker_scheduler(broker: AsyncBroker) -> TaskiqScheduler:
    """The schedule table (as the tasks' labels) and the retries due later."""
    sources: list[ScheduleSource] = [LabelScheduleSource(broker)]
    if broker.state.retry_source is not None:
        sources.append(broker.state.retry_source)
    return CheckedScheduler(broker, sources)


async def _worker_startup(state: TaskiqState) -> None:
    settings: Settings = state.settings
    settings.check_secrets()  # a worker started without `just worker` refuses them too
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    install_metrics()
    if settings.WORKER_METRICS_PORT:
        start_http_server(settings.WORKER_METRICS_PORT, addr=settings.HOST)
    runner = TaskiqRunner(state.broker)
    container = build_container(settings, queue=runner)  # serves the runner its use cases
    await container.upkeep.configure_levels(settings.LOYALTY_LEVELS)
    await container.upkeep.ensure_salons()  # YCLIENTS_COMPANY_IDS: created if missing
    await container.upkeep.record_ttl()  # POINTS_TTL_DAYS applies to lots credited from now on
    state.container = container
    await runner.kick_at_start(container.schedule)
    log.info("worker_started", extra={"redis": bool(settings.REDIS_URL)})


async def _worker_shutdown(state: TaskiqState) -> None:
    container = getattr(state, "container", None)
    if container is not None:
        await container.aclose()
        state.container = None


broker = worker_broker(load_settings())
scheduler = worker_scheduler(broker)
