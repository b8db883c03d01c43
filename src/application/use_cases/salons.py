"""Salons as data: add, change, pause/resume, rotate the webhook secret; the salons named by
YCLIENTS_COMPANY_IDS created at start; which webhooks are processed, held or refused."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta

from src.application.errors import Conflict, NotFound, ValidationFailed
from src.application.ports.clock import Clock
from src.application.ports.salons import SalonActivity
from src.application.ports.tasks import TaskQueue
from src.application.ports.uow import UnitOfWorkFactory
from src.application.switches import Switches
from src.domain.salon import (
    DEFAULT_REGION,
    MAX_COMPANY_ID,
    InvalidSalon,
    Salon,
    SalonStatus,
    same_secret,
)
from src.domain.sync_run import RunStatus, SyncRun

log = logging.getLogger(__name__)

NEW_SALON_TRIGGER = "new_salon"  # the first full-window sync of a salon just added
ENV_SALON_NAME = "YClients {company_id}"  # the name of a salon created from the environment


@dataclass(frozen=True, slots=True)
class SalonDefaults:
    region: str = DEFAULT_REGION
    timezone: str = "Europe/Moscow"


@dataclass(frozen=True, slots=True)
class _Salons:
    uow_factory: UnitOfWorkFactory
    queue: TaskQueue
    clock: Clock
    switches: Switches
    changed: Callable[[], None] | None = None  # this process's webhook admission forgets its cache

    def _forget(self) -> None:
        if self.changed is not None:
            self.changed()

    async def _kick_drains(self, released: dict[int, int]) -> None:
        """Held webhooks that became PENDING are processed now (else by the sweeper)."""
        if not self.switches.yclients_enabled:
            return
        for company_id, count in released.items():
            log.info("salon_webhooks_released", extra={"company_id": company_id, "events": count})
            try:
                await self.queue.kick_drain(company_id)
            except Exception:
                log.exception("salon_drain_enqueue_failed", extra={"company_id": company_id})


@dataclass(frozen=True, slots=True)
class AddSalon(_Salons):
    """A new active salon; its webhook secret is returned once. Its first full-window sync
    is queued at once (a QUEUED run, so the reaper hands it over again if the queue is down),
    and webhooks it sent before it was added (held as an unknown company's) are processed."""

    _: KW_ONLY
    defaults: SalonDefaults

    async def __call__(
        self,
        company_id: int,
        name: str,
        *,
        region: str | None = None,
        timezone: str | None = None,
    ) -> tuple[Salon, str]:
        now = self.clock.now()
        try:
            salon, secret = Salon.create(
                company_id, name, region=region or self.defaults.region,
                timezone=timezone or self.defaults.timezone, now=now,
            )  # fmt: skip
        except InvalidSalon as exc:
            raise ValidationFailed(str(exc)) from None
        async with self.uow_factory() as uow:
            if not await uow.salons.add_if_missing(salon):
                raise Conflict(f"salon {company_id} already exists")
            run = await uow.sync_runs.add(
                SyncRun(company_id, NEW_SALON_TRIGGER, now, RunStatus.QUEUED, heartbeat_at=now)
            )
            released = await uow.salons.release_held([company_id], now)
            stored = await uow.salons.get(company_id)
            await uow.commit()
        assert stored is not None
        self._forget()
        log.info("salon_added", extra={"company_id": company_id, "run_id": run.id})
        if self.switches.yclients_enabled:
            try:
                await self.queue.sync_company(company_id, NEW_SALON_TRIGGER, run.id)
            except Exception:
                log.exception("salon_sync_enqueue_failed", extra={"company_id": company_id})
        await self._kick_drains(released)
        return stored, secret


@dataclass(frozen=True, slots=True)
class ChangeSalon(_Salons):
    """Name, status, time zone, region. Resuming a paused salon processes its held webhooks."""

    async def __call__(
        self,
        company_id: int,
        *,
        name: str | None = None,
        status: SalonStatus | None = None,
        timezone: str | None = None,
        region: str | None = None,
    ) -> Salon:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            salon = await uow.salons.get(company_id)
            if salon is None:
                raise NotFound(f"salon {company_id} does not exist")
            try:
                after = salon.changed(
                    now, name=name, status=status, timezone=timezone, region=region
                )
            except InvalidSalon as exc:
                raise ValidationFailed(str(exc)) from None
            await uow.salons.save(after)
            released = await uow.salons.release_held([company_id], now) if after.active else {}
            await uow.commit()
        self._forget()
        if after.status is not salon.status:
            log.info("salon_" + after.status.value, extra={"company_id": company_id})
        await self._kick_drains(released)
        return after


@dataclass(frozen=True, slots=True)
class RotateSalonSecret(_Salons):
    """A new webhook secret, returned once; the old one (and the shared one) stop working."""

    async def __call__(self, company_id: int) -> tuple[Salon, str]:
        async with self.uow_factory() as uow:
            salon = await uow.salons.get(company_id)
            if salon is None:
                raise NotFound(f"salon {company_id} does not exist")
            after, secret = salon.rotated(self.clock.now())
            await uow.salons.save(after)
            await uow.commit()
        self._forget()
        log.info("salon_secret_rotated", extra={"company_id": company_id})
        return after, secret


@dataclass(frozen=True, slots=True)
class EnsureSalons:
    """The salons YCLIENTS_COMPANY_IDS names exist (created at start when missing, accepting
    the shared YCLIENTS_WEBHOOK_SECRET until rotated). Idempotent; concurrent starts create
    each once (an insert that does nothing when the company id is taken)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    company_ids: Sequence[int]
    defaults: SalonDefaults

    async def __call__(self) -> list[int]:
        """The company ids created now."""
        if not self.company_ids:
            return []
        now = self.clock.now()
        created: list[int] = []
        async with self.uow_factory() as uow:
            for company_id in self.company_ids:
                salon, _ = Salon.create(
                    company_id, ENV_SALON_NAME.format(company_id=company_id),
                    region=self.defaults.region, timezone=self.defaults.timezone, now=now,
                    accepts_shared_secret=True,
                )  # fmt: skip
                if await uow.salons.add_if_missing(salon):
                    created.append(company_id)
            await uow.commit()
        if created:
            log.info("salons_created_from_environment", extra={"company_ids": created})
        return created


class Admission(enum.StrEnum):
    PROCESS = "process"  # the salon's own secret (or the shared one it still accepts), active
    HOLD = "hold"  # stored HELD: the salon is paused, or no salon has this company id
    REJECT = "reject"  # 401: not this salon's secret


@dataclass(slots=True)
class AdmitWebhook:
    """Which secret a webhook must carry, and what becomes of it.

    A salon's webhook needs its own secret (or the shared YCLIENTS_WEBHOOK_SECRET while the
    salon accepts it); another salon's secret is refused. A company that is no salon needs
    the shared secret, and its webhooks are held (shown on the Salons page, processed once
    the salon is added); so are a paused salon's, until it is resumed.

    The hot path reads no database: active salons are cached for `cache_seconds` and only a
    cached active salon whose secret matches is admitted from the cache; anything else (an
    unknown company, a paused salon, a secret that does not match) is decided on a fresh
    read, so a salon added, resumed or rotated in another process is never refused or held
    by a stale cache. A pause or a rotation reaches other processes within `cache_seconds`."""

    uow_factory: UnitOfWorkFactory
    shared_secret: str | None
    _: KW_ONLY
    cache_seconds: float = 5.0
    _cache: dict[int, Salon] = field(default_factory=dict, init=False)
    _loaded_at: float | None = field(default=None, init=False)
    _loading: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    def forget(self) -> None:
        """Drop the cache (this process changed a salon)."""
        self._loaded_at = None

    async def __call__(self, company_id: int | None, secret: str | None) -> Admission:
        if company_id is None or not 0 < company_id <= MAX_COMPANY_ID:
            # No company to look up (the body will be refused as malformed, or its id as no
            # YClients id: looking it up failed the query, a 400 write_rejected): the shared
            # secret lets it through to say what is wrong with it.
            return Admission.PROCESS if self._shared(secret) else Admission.REJECT
        cached = (await self._cached()).get(company_id)
        if cached is not None and cached.active and cached.accepts(secret, self.shared_secret):
            return Admission.PROCESS
        async with self.uow_factory() as uow:
            salon = await uow.salons.get(company_id)
        if salon is None:
            return Admission.HOLD if self._shared(secret) else Admission.REJECT
        if not salon.accepts(secret, self.shared_secret):
            return Admission.REJECT
        return Admission.PROCESS if salon.active else Admission.HOLD

    def _shared(self, secret: str | None) -> bool:
        return same_secret(secret, self.shared_secret)

    async def _cached(self) -> dict[int, Salon]:
        loop = asyncio.get_running_loop()
        fresh = self._loaded_at is not None and loop.time() - self._loaded_at < self.cache_seconds
        if fresh or self.cache_seconds <= 0:
            return self._cache if fresh else {}
        async with self._loading:
            if self._loaded_at is None or loop.time() - self._loaded_at >= self.cache_seconds:
                async with self.uow_factory() as uow:
                    self._cache = {s.company_id: s for s in await uow.salons.all() if s.active}
                self._loaded_at = loop.time()
        return self._cache


@dataclass(frozen=True, slots=True)
class SalonView:
    salon: Salon
    activity: SalonActivity
    sync_lag: timedelta | None  # since the last successful sync's finish


@dataclass(frozen=True, slots=True)
class SalonsOverview:
    salons: list[SalonView]
    unknown: list[SalonActivity]  # company ids that sent webhooks but are no salon


@dataclass(frozen=True, slots=True)
class SalonQueries:
    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def get(self, company_id: int) -> Salon | None:
        async with self.uow_factory() as uow:
            return await uow.salons.get(company_id)

    async def overview(self, since: datetime) -> SalonsOverview:
        """Every salon with its activity since `since` (webhooks) and its sync lag."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            salons = await uow.salons.all()
            activity = {a.company_id: a for a in await uow.salons.activity(since)}
        views = []
        for salon in salons:
            seen = activity.pop(salon.company_id, SalonActivity(salon.company_id))
            lag = now - seen.last_sync_at if seen.last_sync_at else None
            views.append(SalonView(salon, seen, lag))
        unknown = [a for a in activity.values() if a.webhooks_since or a.held]
        return SalonsOverview(views, unknown)
