"""The composition root: the one place that wires adapters into use cases.

The HTTP app, the taskiq worker, the CLI and the tests all call `build_container`; tests pass
their own adapters (fakes, a simulator-backed gateway) through the keyword arguments. The
use cases come in small groups (`wiring.groups`), one per router; the container owns the
resources (engine, clients, task runner) and closes them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, cast

from src.adapters.attempts import (
    MemoryAttemptCounters,
    MemoryLoginStreaks,
    RedisAttemptCounters,
    RedisLoginStreaks,
)
from src.adapters.clock import SystemClock
from src.adapters.db.engine import is_sqlite, make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.adapters.passwords import Argon2Hasher
from src.adapters.sync_lock import AdvisorySyncLock, LocalSyncLock
from src.adapters.tasks.in_process import InProcessRunner
from src.adapters.tasks.table import Entry
from src.adapters.yclients.budget import RedisRequestBudget
from src.adapters.yclients.webhooks import WebhookBodyDecoder
from src.application.ports.auth import AttemptCounters, LoginStreaks, PasswordHasher
from src.application.ports.clock import Clock
from src.application.ports.expiry import ExpiryReminders
from src.application.ports.notify import Notifier
from src.application.ports.sync import SyncLock
from src.application.ports.tasks import TaskQueue
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.yclients import YClientsGateway
from src.application.switches import Switches
from src.entrypoints.settings import Settings
from src.entrypoints.wiring.adapters import (
    SIMULATOR_PARTNER_TOKEN,
    SIMULATOR_USER_TOKEN,
    build_gateway,
    build_notifier,
    build_request_budget,
    build_runner,
    build_sms_regions,
    hold_rules,
    queue_gate,
    task_schedule,
    yclients_base_url,
)
from src.entrypoints.wiring.groups import GROUPS, Groups
from src.entrypoints.wiring.use_cases import Ports, build_groups

__all__ = [
    "SIMULATOR_PARTNER_TOKEN",
    "SIMULATOR_USER_TOKEN",
    "Container",
    "build_container",
    "build_gateway",
    "build_notifier",
    "build_request_budget",
    "build_runner",
    "build_sms_regions",
    "hold_rules",
    "queue_gate",
    "task_schedule",
    "yclients_base_url",
]

log = logging.getLogger(__name__)


@dataclass
class Container(Groups, Ports):
    """The resources a process owns (its ports; closed by `aclose`) and the use-case groups
    its routers, tasks and commands receive."""

    schedule: list[Entry] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        """A use case by its own name (`container.register`), from the group that holds it:
        for tests, scripts and console pages not yet moved to their groups."""
        if not name.startswith("_"):
            for group in GROUPS:
                holder = self.__dict__.get(group)
                if holder is not None and hasattr(holder, name):
                    return getattr(holder, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        """A use case replaced by its own name (tests swap in a failing one) is replaced in
        every group that holds it, so the routers see it too."""
        holders = [
            group
            for group in GROUPS
            if name not in _OWN and hasattr(self.__dict__.get(group), name)
        ]
        if not holders:
            object.__setattr__(self, name, value)
        for group in holders:
            object.__setattr__(self, group, replace(getattr(self, group), **{name: value}))

    async def aclose(self) -> None:
        if isinstance(self.queue, InProcessRunner):
            await self.queue.stop()
        for close in reversed(self.closers):
            await close()
        self.closers.clear()


def build_container(
    settings: Settings,
    *,
    uow_factory: UnitOfWorkFactory | None = None,
    gateway: YClientsGateway | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    sync_lock: SyncLock | None = None,
    switches: Switches | None = None,
    attempts: AttemptCounters | None = None,
    notifier: Notifier | None = None,
    login_streaks: LoginStreaks | None = None,
    expiry_reminders: ExpiryReminders | None = None,
    queue: TaskQueue | None = None,
) -> Container:
    """Wire everything from settings; any adapter can be replaced (tests, benchmarks).

    `queue`: the task runner the use cases hand work to (default: `build_runner`); a runner
    with `serve` is given the use cases its tasks call."""
    closers: list[Callable[[], Awaitable[None]]] = []
    engine = None
    if uow_factory is None:
        engine = make_engine(settings.DATABASE_URL)
        uow_factory = cast(UnitOfWorkFactory, SqlUnitOfWorkFactory(engine, settings.SALON_REGION))
        closers.append(engine.dispose)
    if sync_lock is None:
        if engine is not None and not is_sqlite(settings.DATABASE_URL):
            sync_lock = AdvisorySyncLock(engine)
        else:
            sync_lock = LocalSyncLock()
    if gateway is None:
        budget = build_request_budget(settings)
        if isinstance(budget, RedisRequestBudget):
            closers.append(budget.aclose)
        client = build_gateway(settings, budget)
        closers.append(client.aclose)
        gateway = client
    clock = clock or SystemClock()
    hasher = hasher or Argon2Hasher()
    if attempts is None:
        if settings.REDIS_URL:
            # Shared by every API process: a throttle per process multiplies the guesses.
            redis_attempts = RedisAttemptCounters.from_url(
                settings.REDIS_URL, f"{settings.TASK_QUEUE_NAME}:throttle"
            )
            closers.append(redis_attempts.aclose)
            attempts = redis_attempts
        else:
            attempts = MemoryAttemptCounters()
    if notifier is None:
        notifier, notifier_closers = build_notifier(settings, attempts)
        closers.extend(notifier_closers)
    if login_streaks is None:
        if settings.REDIS_URL:
            redis_streaks = RedisLoginStreaks.from_url(
                settings.REDIS_URL, f"{settings.TASK_QUEUE_NAME}:login-streak"
            )
            closers.append(redis_streaks.aclose)
            login_streaks = redis_streaks
        else:
            login_streaks = MemoryLoginStreaks()
    switches = switches or Switches(
        yclients_enabled=settings.YCLIENTS_ENABLED,
        loyalty_enabled=settings.LOYALTY_ENABLED,
        verified_contacts_only=settings.CONTACT_VERIFICATION != "off",
        phone_region=settings.SALON_REGION,
    )
    decoder = WebhookBodyDecoder()
    queue = queue or build_runner(settings)
    ports = Ports(
        settings=settings, switches=switches, clock=clock, uow_factory=uow_factory,
        gateway=gateway, decoder=decoder, hasher=hasher, attempts=attempts, notifier=notifier,
        login_streaks=login_streaks, queue=queue, sync_lock=sync_lock,
    )  # fmt: skip
    groups = build_groups(ports, expiry_reminders)
    container = Container(
        **_fields_of(ports), **_fields_of(groups),
        schedule=task_schedule(settings), closers=closers,
    )  # fmt: skip
    serve = getattr(queue, "serve", None)
    if serve is not None:
        serve(groups.tasks)
    return container


def _fields_of(record: Ports | Groups) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record)}


_OWN = frozenset(f.name for f in fields(Container))
