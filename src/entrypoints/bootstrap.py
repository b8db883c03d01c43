"""The composition root: the one place that wires adapters into use cases.

The HTTP app, the taskiq worker, the CLI and the tests all call `build_container`; tests pass
their own adapters (fakes, a simulator-backed gateway) through the keyword arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from src.adapters.attempts import (
    MemoryAttemptCounters,
    MemoryLoginStreaks,
    RedisAttemptCounters,
    RedisLoginStreaks,
)
from src.adapters.clock import SystemClock
from src.adapters.db.engine import is_sqlite, make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.adapters.expiry_reminders import EmailExpiryReminders
from src.adapters.notifications.console import (
    ConsoleNotifier,
    EmailSender,
    SmsSender,
    SplitNotifier,
)
from src.adapters.notifications.sms_guard import GuardedSms, SmsRegions
from src.adapters.notifications.smsru import SmsRuSender
from src.adapters.notifications.smtp import SmtpEmailSender
from src.adapters.passwords import Argon2Hasher
from src.adapters.sync_lock import AdvisorySyncLock, LocalSyncLock
from src.adapters.tasks.gate import MemoryDrainGate
from src.adapters.tasks.in_process import InProcessRunner
from src.adapters.tasks.table import Entry, TaskWork, schedule
from src.adapters.tasks.taskiq_runner import TaskiqRunner, build_broker
from src.adapters.yclients.budget import LocalRequestBudget, RedisRequestBudget
from src.adapters.yclients.client import RetryPolicy, YClientsClient
from src.adapters.yclients.webhooks import WebhookBodyDecoder
from src.application.errors import NotificationFailed
from src.application.inbox.accept import AcceptWebhook
from src.application.inbox.admin import (
    ProcessWebhookEvent,
    ReplayWebhookEvent,
    SweepInbox,
    WebhookEventQueries,
)
from src.application.inbox.batch import ApplyBatch
from src.application.inbox.drain import DrainInbox
from src.application.ports.auth import AttemptCounters, LoginStreaks, PasswordHasher
from src.application.ports.clock import Clock
from src.application.ports.expiry import ExpiryReminders
from src.application.ports.notify import Notifier
from src.application.ports.request_budget import RequestBudget
from src.application.ports.sync import SyncLock
from src.application.ports.tasks import DrainGate, TaskQueue
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.yclients import WebhookDecoder, YClientsGateway
from src.application.switches import Switches
from src.application.use_cases.bookings import LinkBookingManually, ListBookings, ListUnmatched
from src.application.use_cases.client_codes import GenerateUniqueCodes, IssueBookingForm
from src.application.use_cases.expire_points import ExpirePoints, ExpiringSoon, RecordTtl
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.ledger_view import LedgerContextOf
from src.application.use_cases.loyalty import (
    AdjustPoints,
    ConfigureLevels,
    GetLoyaltyAccount,
    ListTransactions,
)
from src.application.use_cases.members import ChangeRole, EnsureAdmin, SearchMembers
from src.application.use_cases.once import RunOnce
from src.application.use_cases.password_reset import ConfirmPasswordReset, RequestPasswordReset
from src.application.use_cases.quarantine import QuarantineQueries
from src.application.use_cases.reconcile_points import ReconcilePoints
from src.application.use_cases.redemptions import (
    CaptureHold,
    CheckoutList,
    HoldPoints,
    ListRedemptions,
    PointsHeld,
    RedeemPoints,
    ReleaseHold,
)
from src.application.use_cases.salons import (
    AddSalon,
    AdmitWebhook,
    ChangeSalon,
    EnsureSalons,
    RotateSalonSecret,
    SalonDefaults,
    SalonQueries,
)
from src.application.use_cases.staff_holds import CancelHold
from src.application.use_cases.sync import SyncBookings, SyncRunQueries
from src.application.use_cases.sync_reaper import ReapSyncRuns
from src.application.use_cases.sync_schedule import RequestSync, SyncActiveSalons, SyncAll
from src.application.use_cases.today import TodayVisits
from src.application.use_cases.users import (
    Authenticate,
    ChangePassword,
    GetProfile,
    RegisterUser,
    TrustContacts,
)
from src.application.use_cases.verification import (
    ResendCode,
    SendWelcomeCodes,
    SetPhone,
    VerificationCodes,
    VerifyContact,
)
from src.domain.client_codes import generate_client_code
from src.domain.redemption import HoldRules
from src.entrypoints.settings import Settings, SettingsError, check_notifications, sms_regions

log = logging.getLogger(__name__)

SIMULATOR_PARTNER_TOKEN = "sim-partner-token"  # the simulator's defaults
SIMULATOR_USER_TOKEN = "sim-user-token"


@dataclass
class Container:
    """Every use case, ready to call, plus what must be closed at shutdown."""

    settings: Settings
    switches: Switches
    clock: Clock
    uow_factory: UnitOfWorkFactory
    gateway: YClientsGateway
    decoder: WebhookDecoder
    hasher: PasswordHasher
    attempts: AttemptCounters
    notifier: Notifier
    login_streaks: LoginStreaks
    queue: TaskQueue  # the task runner: taskiq (REDIS_URL) or in-process
    tasks: TaskWork
    schedule: list[Entry]
    sync_lock: SyncLock
    register: RegisterUser
    authenticate: Authenticate
    change_password: ChangePassword
    trust_contacts: TrustContacts
    verify_contact: VerifyContact
    resend_code: ResendCode
    set_phone: SetPhone
    request_password_reset: RequestPasswordReset
    confirm_password_reset: ConfirmPasswordReset
    profile: GetProfile
    issue_booking_form: IssueBookingForm
    generate_unique_codes: GenerateUniqueCodes
    list_bookings: ListBookings
    list_unmatched: ListUnmatched
    link_booking: LinkBookingManually
    loyalty: GetLoyaltyAccount
    transactions: ListTransactions
    ledger_context: LedgerContextOf
    adjust_points: AdjustPoints
    configure_levels: ConfigureLevels
    hold_points: HoldPoints
    release_hold: ReleaseHold
    capture_hold: CaptureHold
    list_redemptions: ListRedemptions
    redeem_points: RedeemPoints
    points_held: PointsHeld
    checkout_list: CheckoutList
    today_visits: TodayVisits
    cancel_hold: CancelHold
    reconcile_points: ReconcilePoints
    expire_points: ExpirePoints
    record_ttl: RecordTtl
    expiring_soon: ExpiringSoon
    ingest: IngestRecords
    sync: SyncBookings
    sync_all: SyncAll
    request_sync: RequestSync
    run_once: RunOnce
    sync_runs: SyncRunQueries
    accept_webhook: AcceptWebhook
    process_webhook: ProcessWebhookEvent
    apply_batch: ApplyBatch
    drain_inbox: DrainInbox
    replay_webhook: ReplayWebhookEvent
    sweep_inbox: SweepInbox
    reap_sync_runs: ReapSyncRuns
    webhook_events: WebhookEventQueries
    quarantined_records: QuarantineQueries
    search_members: SearchMembers
    change_role: ChangeRole
    ensure_admin: EnsureAdmin
    salons: SalonQueries
    add_salon: AddSalon
    change_salon: ChangeSalon
    rotate_salon_secret: RotateSalonSecret
    ensure_salons: EnsureSalons
    admit_webhook: AdmitWebhook
    sync_active_salons: SyncActiveSalons
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def aclose(self) -> None:
        if isinstance(self.queue, InProcessRunner):
            await self.queue.stop()
        for close in reversed(self.closers):
            await close()
        self.closers.clear()


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
    # Code digests are keyed with the app secret (JWT_SECRET, checked in production).
    codes = VerificationCodes(
        settings.JWT_SECRET,
        clock,
        notifier,
        sms=settings.SMS_PROVIDER != "none",
        sms_refusal=build_sms_regions(settings).refusal,
    )
    ingest = IngestRecords(uow_factory, clock, switches)
    apply_batch = ApplyBatch(
        uow_factory,
        ingest,
        gateway,
        decoder,
        clock,
        switches,
        batch_size=settings.INBOX_BATCH_SIZE,
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        retry_delay=timedelta(seconds=settings.WEBHOOK_RETRY_DELAY_SECONDS),
    )
    drain_inbox = DrainInbox(apply_batch, queue_gate(queue), queue, uow_factory)
    sync = SyncBookings(
        uow_factory,
        gateway,
        clock,
        sync_lock,
        switches,
        past_days=settings.SYNC_PAST_DAYS,
        future_days=settings.SYNC_FUTURE_DAYS,
        heartbeat_every=settings.SYNC_HEARTBEAT_SECONDS,
        full_sweep_every=timedelta(hours=settings.SYNC_FULL_SWEEP_HOURS),
        incremental_margin=timedelta(minutes=settings.SYNC_INCREMENTAL_MARGIN_MINUTES),
        interval=timedelta(seconds=settings.sync_interval_seconds),
        backoff_cap=timedelta(minutes=settings.SYNC_BACKOFF_MAX_MINUTES),
    )
    salon_defaults = SalonDefaults(region=settings.SALON_REGION, timezone=settings.ADMIN_TIMEZONE)
    admit = AdmitWebhook(uow_factory, settings.YCLIENTS_WEBHOOK_SECRET)
    reconcile_points = ReconcilePoints(uow_factory, clock, switches)
    expire_points = ExpirePoints(
        uow_factory,
        clock,
        expiry_reminders
        or EmailExpiryReminders(
            uow_factory, notifier, verified_only=switches.verified_contacts_only
        ),
        ttl_days=settings.POINTS_TTL_DAYS,
        reminder_days=settings.POINTS_EXPIRY_REMINDER_DAYS,
    )
    sweep_inbox = SweepInbox(
        uow_factory,
        queue,
        clock,
        switches,
        older_than=timedelta(seconds=settings.INBOX_SWEEP_AFTER_SECONDS),
    )
    reap_sync_runs = ReapSyncRuns(
        uow_factory,
        queue,
        clock,
        switches,
        stale_after=timedelta(minutes=settings.SYNC_STALE_MINUTES),
    )
    tasks = TaskWork(
        drain=drain_inbox,
        sync=sync,
        kick_syncs=SyncActiveSalons(
            uow_factory, queue, clock, switches, timedelta(seconds=settings.sync_interval_seconds)
        ),
        sweep=sweep_inbox,
        reap=reap_sync_runs,
        reconcile=reconcile_points,
        expire=expire_points,
    )
    container = Container(
        settings=settings,
        switches=switches,
        clock=clock,
        uow_factory=uow_factory,
        gateway=gateway,
        decoder=decoder,
        hasher=hasher,
        attempts=attempts,
        notifier=notifier,
        login_streaks=login_streaks,
        queue=queue,
        tasks=tasks,
        schedule=task_schedule(settings),
        sync_lock=sync_lock,
        register=RegisterUser(
            uow_factory,
            hasher,
            welcome=SendWelcomeCodes(uow_factory, codes, notifier),
            phone_region=settings.SALON_REGION,
        ),
        authenticate=Authenticate(uow_factory, hasher),
        change_password=ChangePassword(uow_factory, hasher),
        trust_contacts=TrustContacts(uow_factory, clock),
        verify_contact=VerifyContact(uow_factory, codes, clock, switches),
        resend_code=ResendCode(uow_factory, codes, notifier),
        set_phone=SetPhone(uow_factory, codes, notifier, settings.SALON_REGION),
        request_password_reset=RequestPasswordReset(uow_factory, codes, notifier),
        confirm_password_reset=ConfirmPasswordReset(uow_factory, codes, hasher),
        profile=GetProfile(uow_factory),
        issue_booking_form=IssueBookingForm(
            uow_factory, generate_client_code, settings.YCLIENTS_WIDGET_URL
        ),
        generate_unique_codes=GenerateUniqueCodes(uow_factory, generate_client_code),
        list_bookings=ListBookings(uow_factory, clock),
        list_unmatched=ListUnmatched(uow_factory),
        link_booking=LinkBookingManually(uow_factory, clock, switches),
        loyalty=GetLoyaltyAccount(uow_factory),
        transactions=ListTransactions(uow_factory),
        ledger_context=LedgerContextOf(uow_factory),
        adjust_points=AdjustPoints(uow_factory, clock, settings.ADJUSTMENT_MAX_POINTS),
        configure_levels=ConfigureLevels(uow_factory),
        hold_points=HoldPoints(uow_factory, clock, rules=hold_rules(settings)),
        release_hold=ReleaseHold(uow_factory, clock, hold_rules(settings)),
        capture_hold=CaptureHold(uow_factory, clock, hold_rules(settings)),
        list_redemptions=ListRedemptions(uow_factory),
        redeem_points=RedeemPoints(uow_factory, clock, hold_rules(settings)),
        points_held=PointsHeld(uow_factory),
        checkout_list=CheckoutList(uow_factory, clock),
        today_visits=TodayVisits(uow_factory, clock, hold_rules(settings)),
        cancel_hold=CancelHold(uow_factory, clock),
        reconcile_points=reconcile_points,
        expire_points=expire_points,
        record_ttl=RecordTtl(uow_factory, clock, settings.POINTS_TTL_DAYS),
        expiring_soon=ExpiringSoon(uow_factory, clock),
        ingest=ingest,
        sync=sync,
        sync_all=SyncAll(sync),  # the active salons (the salons table)
        run_once=RunOnce(uow_factory, clock),
        request_sync=RequestSync(uow_factory, queue, clock, switches),
        sync_runs=SyncRunQueries(uow_factory),
        # Any company: `admit_webhook` checked its salon's secret and says whether to hold it.
        accept_webhook=AcceptWebhook(uow_factory, decoder, queue, clock, None, switches),
        process_webhook=ProcessWebhookEvent(uow_factory, apply_batch),
        apply_batch=apply_batch,
        drain_inbox=drain_inbox,
        replay_webhook=ReplayWebhookEvent(uow_factory, queue, clock),
        sweep_inbox=sweep_inbox,
        reap_sync_runs=reap_sync_runs,
        webhook_events=WebhookEventQueries(uow_factory),
        quarantined_records=QuarantineQueries(uow_factory),
        search_members=SearchMembers(uow_factory, settings.SALON_REGION),
        change_role=ChangeRole(uow_factory),
        ensure_admin=EnsureAdmin(uow_factory, hasher, clock),
        salons=SalonQueries(uow_factory, clock),
        add_salon=AddSalon(uow_factory, queue, clock, switches, salon_defaults, admit.forget),
        change_salon=ChangeSalon(uow_factory, queue, clock, switches, admit.forget),
        rotate_salon_secret=RotateSalonSecret(uow_factory, queue, clock, switches, admit.forget),
        ensure_salons=EnsureSalons(
            uow_factory, clock, settings.YCLIENTS_COMPANY_IDS, salon_defaults
        ),
        admit_webhook=admit,
        sync_active_salons=tasks.kick_syncs,
        closers=closers,
    )
    serve = getattr(queue, "serve", None)
    if serve is not None:
        serve(tasks)
    return container


def queue_gate(queue: TaskQueue) -> DrainGate:
    """The drain gate the queue kicks through (a queue without one: a gate of its own)."""
    gate: DrainGate | None = getattr(queue, "gate", None)
    return gate if gate is not None else MemoryDrainGate()
