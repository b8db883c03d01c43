"""Adapters from settings: the YClients client and its request budget, the task runner and
its schedule, the notifier, the hold rules. `build_container` picks these unless a test
passes its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from src.adapters.attempts import MemoryAttemptCounters
from src.adapters.notifications.console import (
    ConsoleNotifier,
    EmailSender,
    SmsSender,
    SplitNotifier,
)
from src.adapters.notifications.sms_guard import GuardedSms, SmsRegions
from src.adapters.notifications.smsru import SmsRuSender
from src.adapters.notifications.smtp import SmtpEmailSender
from src.adapters.tasks.gate import MemoryDrainGate
from src.adapters.tasks.in_process import InProcessRunner
from src.adapters.tasks.table import Entry, schedule
from src.adapters.tasks.taskiq_runner import TaskiqRunner, build_broker
from src.adapters.yclients.budget import LocalRequestBudget, RedisRequestBudget
from src.adapters.yclients.client import RetryPolicy, YClientsClient
from src.application.errors import NotificationFailed
from src.application.ports.auth import AttemptCounters
from src.application.ports.notify import Notifier
from src.application.ports.request_budget import RequestBudget
from src.application.ports.tasks import DrainGate, TaskQueue
from src.domain.redemption import HoldRules
from src.entrypoints.settings import Settings, SettingsError, check_notifications, sms_regions

SIMULATOR_PARTNER_TOKEN = "sim-partner-token"  # the simulator's defaults
SIMULATOR_USER_TOKEN = "sim-user-token"


def yclients_base_url(settings: Settings) -> str:
    if settings.uses_simulator:
        return f"http://127.0.0.1:{settings.SIMULATOR_PORT}/api/v1"
    return settings.YCLIENTS_BASE_URL


def build_request_budget(settings: Settings) -> RequestBudget | None:
    """YClients' limit is per IP for the whole deployment: with Redis every process draws
    from one budget there, without it this one process paces its own. None (unlimited) for
    the simulator."""
    if settings.uses_simulator:
        return None
    if settings.REDIS_URL:
        return RedisRequestBudget.from_url(
            settings.REDIS_URL,
            f"{settings.TASK_QUEUE_NAME}:yclients-budget",
            settings.YCLIENTS_RATE_LIMIT,
        )
    return LocalRequestBudget(settings.YCLIENTS_RATE_LIMIT)


def build_gateway(settings: Settings, budget: RequestBudget | None = None) -> YClientsClient:
    partner = settings.YCLIENTS_PARTNER_TOKEN or SIMULATOR_PARTNER_TOKEN
    user = settings.YCLIENTS_USER_TOKEN or SIMULATOR_USER_TOKEN
    return YClientsClient(
        partner,
        user,
        base_url=yclients_base_url(settings),
        page_size=settings.YCLIENTS_PAGE_SIZE,
        rate_limit=None,
        budget=budget,
        timeout=settings.YCLIENTS_TIMEOUT_SECONDS,
        retry=RetryPolicy(
            attempts=settings.YCLIENTS_RETRY_ATTEMPTS,
            timeout=settings.YCLIENTS_RETRY_BUDGET_SECONDS,
        ),
    )


def task_schedule(settings: Settings) -> list[Entry]:
    """The one schedule, as both runners read it."""
    return schedule(
        settings.sync_interval_seconds,
        settings.INBOX_SWEEP_INTERVAL_SECONDS,
        settings.SYNC_REAP_INTERVAL_SECONDS,
    )


def build_runner(settings: Settings) -> TaskiqRunner | InProcessRunner:
    """Taskiq over a Redis stream with `REDIS_URL` (nothing connects until the broker starts),
    else asyncio tasks in this process."""
    if not settings.REDIS_URL:
        return InProcessRunner()
    broker = build_broker(
        task_schedule(settings),
        redis_url=settings.REDIS_URL,
        queue_name=settings.TASK_QUEUE_NAME,
        redelivery_seconds=settings.TASK_REDELIVERY_SECONDS,
    )
    return TaskiqRunner(broker)


class _NoSms:
    """SMS_PROVIDER=none: no phone gets a code (`VerificationCodes(sms=False)` never asks
    for one)."""

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None:
        raise NotificationFailed("sms: this salon sends no SMS (SMS_PROVIDER=none)")


def build_sms_regions(settings: Settings) -> SmsRegions:
    return SmsRegions(sms_regions(settings), settings.SALON_REGION)


def build_notifier(
    settings: Settings, counters: AttemptCounters | None = None
) -> tuple[Notifier, list[Callable[[], Awaitable[None]]]]:
    """Email over SMTP when SMTP_HOST is set, SMS through SMS.ru when SMS_PROVIDER=smsru
    (only to the allowed regions, within the hourly budget counted in `counters`), none with
    SMS_PROVIDER=none; in development (APP_ENV=dev only) each message is a
    `notification_sent` log line."""
    check_notifications(settings)
    closers: list[Callable[[], Awaitable[None]]] = []
    console = ConsoleNotifier()
    email: EmailSender = console
    sms: SmsSender = console
    if settings.SMTP_HOST:
        email = SmtpEmailSender(
            settings.SMTP_HOST,
            settings.SMTP_PORT,
            settings.SMTP_FROM or "",
            username=settings.SMTP_USER,
            password=settings.SMTP_PASSWORD,
            start_tls=settings.SMTP_STARTTLS,
        )
    if settings.SMS_PROVIDER == "smsru":
        smsru = SmsRuSender(settings.SMSRU_API_ID or "", sender=settings.SMSRU_FROM)
        closers.append(smsru.aclose)
        sms = smsru
    elif settings.SMS_PROVIDER == "none":
        sms = _NoSms()
    sms = GuardedSms(
        sms,
        build_sms_regions(settings),
        counters or MemoryAttemptCounters(),
        settings.SMS_BUDGET_PER_HOUR,
    )
    return SplitNotifier(email, sms), closers


def hold_rules(settings: Settings) -> HoldRules:
    """When points may be spent on a visit, in the salon's zone (ADMIN_TIMEZONE)."""
    if settings.HOLD_LOCK_HOURS_BEFORE < 0:
        raise SettingsError("HOLD_LOCK_HOURS_BEFORE: expected 0 (the visit's day) or more hours")
    try:
        zone = ZoneInfo(settings.ADMIN_TIMEZONE)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise SettingsError(f"ADMIN_TIMEZONE: unknown time zone: {exc}") from exc
    return HoldRules(
        max_percent=settings.REDEMPTION_MAX_PERCENT,
        lock_hours_before=settings.HOLD_LOCK_HOURS_BEFORE,
        zone=zone,
    )


def queue_gate(queue: TaskQueue) -> DrainGate:
    """The drain gate the queue kicks through (a queue without one: a gate of its own)."""
    gate: DrainGate | None = getattr(queue, "gate", None)
    return gate if gate is not None else MemoryDrainGate()
