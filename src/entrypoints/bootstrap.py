"""The composition root: the one place that wires adapters into use cases.

The HTTP app, the taskiq worker, the CLI and the tests all call `build_container`; tests pass
their own adapters (fakes, a simulator-backed gateway) through the keyword arguments.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from src.adapters.attempts import MemoryAttemptCounters, RedisAttemptCounters
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
from src.adapters.notifications.smsru import SmsRuSender
from src.adapters.notifications.smtp import SmtpEmailSender
from src.adapters.passwords import Argon2Hasher
from src.adapters.sync_lock import AdvisorySyncLock, LocalSyncLock
from src.adapters.task_queue import DrainMarkers
from src.adapters.yclients.budget import LocalRequestBudget, RedisRequestBudget
from src.adapters.yclients.client import RetryPolicy, YClientsClient
from src.adapters.yclients.mapping import WebhookBodyDecoder
from src.application.ports import (
    AttemptCounters,
    Clock,
    ExpiryReminders,
    Notifier,
    PasswordHasher,
    SyncLock,
    TaskQueue,
    UnitOfWorkFactory,
    WebhookDecoder,
    YClientsGateway,
)
from src.application.request_budget import RequestBudget
from src.application.switches import Switches
from src.application.use_cases.bookings import LinkBookingManually, ListBookings, ListUnmatched
from src.application.use_cases.codes import GenerateUniqueCodes, IssueBookingForm
from src.application.use_cases.expire_points import ExpirePoints, ExpiringSoon, RecordTtl
from src.application.use_cases.inbox import ProcessInbox
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.ledger_view import LedgerContextOf
from src.application.use_cases.loyalty import (
    AdjustPoints,
    ConfigureLevels,
    GetLoyaltyAccount,
    ListTransactions,
)
from src.application.use_cases.members import ChangeRole, EnsureAdmin, SearchMembers
from src.application.use_cases.password_reset import ConfirmPasswordReset, RequestPasswordReset
from src.application.use_cases.quarantine import QuarantineQueries
from src.application.use_cases.reconcile_points import ReconcilePoints
from src.application.use_cases.redemptions import (
    CheckoutList,
    HoldPoints,
    ListRedemptions,
    PointsHeld,
    RedeemPoints,
    ReleaseHold,
)
from src.application.use_cases.sync import (
    ReapSyncRuns,
    RequestSync,
    SyncAll,
    SyncBookings,
    SyncRunQueries,
)
from src.application.use_cases.users import (
    Authenticate,
    ChangePassword,
    GetProfile,
    RegisterUser,
    TrustContacts,
)
from src.application.use_cases.verification import (
    Codes,
    ResendCode,
    SendWelcomeCodes,
    SetPhone,
    VerifyContact,
)
from src.application.use_cases.webhooks import (
    AcceptWebhook,
    ProcessWebhookEvent,
    ReplayWebhookEvent,
    SweepInbox,
    WebhookEventQueries,
)
from src.domain.codes import generate_code
from src.entrypoints.settings import Settings, check_notifications

log = logging.getLogger(__name__)

SIMULATOR_PARTNER_TOKEN = "sim-partner-token"  # the simulator's defaults
SIMULATOR_USER_TOKEN = "sim-user-token"


class _InlineQueue:
    """Until a broker is attached, tasks run as background asyncio tasks of this process
    (no retries: a failed event stays PENDING with its error, for the sweeper)."""

    def __init__(self) -> None:
        self.container: Container | None = None
        self._running: set[asyncio.Task[object]] = set()
        self._markers = DrainMarkers()  # in this process only

    async def process_webhook_event(self, event_id: int) -> None:
        assert self.container is not None
        self._spawn(self.container.process_webhook(event_id, final_attempt=False))

    async def process_inbox(self, company_id: int) -> None:
        assert self.container is not None
        if (await self._markers.mark([company_id]))[0]:
            self._spawn(self._drain(self.container, company_id))

    async def _drain(self, container: Container, company_id: int) -> None:
        async def clear() -> None:
            await self._markers.clear(company_id)

        while (await container.process_inbox.drain(company_id, before_claim=clear)).more:
            pass

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        assert self.container is not None
        self._spawn(self.container.sync(company_id, trigger, run_id))

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        async def guarded() -> object:
            try:
                return await work
            except Exception:
                log.exception("inline_task_failed")
                return None

        task = asyncio.create_task(guarded())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def drain(self) -> None:
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)


class _LateQueue:
    """Lets the broker be attached after the use cases were built."""

    def __init__(self) -> None:
        self.inline = _InlineQueue()
        self.target: TaskQueue = self.inline

    async def process_webhook_event(self, event_id: int) -> None:
        await self.target.process_webhook_event(event_id)

    async def process_inbox(self, company_id: int) -> None:
        await self.target.process_inbox(company_id)

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        await self.target.sync_company(company_id, trigger, run_id)


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
    queue: _LateQueue
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
    list_redemptions: ListRedemptions
    redeem_points: RedeemPoints
    points_held: PointsHeld
    checkout_list: CheckoutList
    reconcile_points: ReconcilePoints
    expire_points: ExpirePoints
    record_ttl: RecordTtl
    expiring_soon: ExpiringSoon
    ingest: IngestRecords
    sync: SyncBookings
    sync_all: SyncAll
    request_sync: RequestSync
    sync_runs: SyncRunQueries
    accept_webhook: AcceptWebhook
    process_webhook: ProcessWebhookEvent
    process_inbox: ProcessInbox
    replay_webhook: ReplayWebhookEvent
    sweep_inbox: SweepInbox
    reap_sync_runs: ReapSyncRuns
    webhook_events: WebhookEventQueries
    quarantined_records: QuarantineQueries
    search_members: SearchMembers
    change_role: ChangeRole
    ensure_admin: EnsureAdmin
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def attach_queue(self, queue: TaskQueue) -> None:
        self.queue.target = queue

    async def aclose(self) -> None:
        await self.queue.inline.drain()
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


def build_notifier(settings: Settings) -> tuple[Notifier, list[Callable[[], Awaitable[None]]]]:
    """Email over SMTP when SMTP_HOST is set, SMS through SMS.ru when SMS_PROVIDER=smsru;
    otherwise each message is a `notification_sent` log line (development)."""
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
    if email is console and sms is console:
        return console, closers
    return SplitNotifier(email, sms), closers


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
    expiry_reminders: ExpiryReminders | None = None,
) -> Container:
    """Wire everything from settings; any adapter can be replaced (tests, benchmarks)."""
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
    if notifier is None:
        notifier, notifier_closers = build_notifier(settings)
        closers.extend(notifier_closers)
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
    switches = switches or Switches(
        yclients_enabled=settings.YCLIENTS_ENABLED,
        loyalty_enabled=settings.LOYALTY_ENABLED,
        verified_contacts_only=settings.CONTACT_VERIFICATION != "off",
        phone_region=settings.SALON_REGION,
    )
    decoder = WebhookBodyDecoder()
    queue = _LateQueue()
    # Code digests are keyed with the app secret (JWT_SECRET, checked in production).
    codes = Codes(settings.JWT_SECRET, clock)
    ingest = IngestRecords(uow_factory, clock, switches)
    process_inbox = ProcessInbox(
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
    sync = SyncBookings(
        uow_factory,
        gateway,
        clock,
        sync_lock,
        switches,
        past_days=settings.SYNC_PAST_DAYS,
        future_days=settings.SYNC_FUTURE_DAYS,
        heartbeat_every=settings.SYNC_HEARTBEAT_SECONDS,
        stale_after=timedelta(minutes=settings.SYNC_STALE_MINUTES),
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
        queue=queue,
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
            uow_factory, generate_code, settings.YCLIENTS_WIDGET_URL
        ),
        generate_unique_codes=GenerateUniqueCodes(uow_factory, generate_code),
        list_bookings=ListBookings(uow_factory, clock),
        list_unmatched=ListUnmatched(uow_factory),
        link_booking=LinkBookingManually(uow_factory, clock, switches),
        loyalty=GetLoyaltyAccount(uow_factory),
        transactions=ListTransactions(uow_factory),
        ledger_context=LedgerContextOf(uow_factory),
        adjust_points=AdjustPoints(uow_factory, clock, settings.ADJUSTMENT_MAX_POINTS),
        configure_levels=ConfigureLevels(uow_factory),
        hold_points=HoldPoints(uow_factory, clock, settings.REDEMPTION_MAX_PERCENT),
        release_hold=ReleaseHold(uow_factory, clock),
        list_redemptions=ListRedemptions(uow_factory),
        redeem_points=RedeemPoints(uow_factory, clock),
        points_held=PointsHeld(uow_factory),
        checkout_list=CheckoutList(uow_factory, clock),
        reconcile_points=ReconcilePoints(uow_factory, clock, switches),
        expire_points=ExpirePoints(
            uow_factory,
            clock,
            expiry_reminders
            or EmailExpiryReminders(
                uow_factory, notifier, verified_only=switches.verified_contacts_only
            ),
            ttl_days=settings.POINTS_TTL_DAYS,
            reminder_days=settings.POINTS_EXPIRY_REMINDER_DAYS,
        ),
        record_ttl=RecordTtl(uow_factory, clock, settings.POINTS_TTL_DAYS),
        expiring_soon=ExpiringSoon(uow_factory, clock),
        ingest=ingest,
        sync=sync,
        sync_all=SyncAll(sync, settings.YCLIENTS_COMPANY_IDS),
        request_sync=RequestSync(
            uow_factory, queue, clock, switches, settings.YCLIENTS_COMPANY_IDS
        ),
        sync_runs=SyncRunQueries(uow_factory),
        accept_webhook=AcceptWebhook(
            uow_factory, decoder, queue, clock, settings.YCLIENTS_COMPANY_IDS, switches
        ),
        process_webhook=ProcessWebhookEvent(
            uow_factory, ingest, gateway, decoder, clock, switches, inbox=process_inbox
        ),
        process_inbox=process_inbox,
        replay_webhook=ReplayWebhookEvent(uow_factory, queue, clock),
        sweep_inbox=SweepInbox(
            uow_factory,
            queue,
            clock,
            switches,
            older_than=timedelta(seconds=settings.INBOX_SWEEP_AFTER_SECONDS),
        ),
        reap_sync_runs=ReapSyncRuns(
            uow_factory,
            queue,
            clock,
            switches,
            stale_after=timedelta(minutes=settings.SYNC_STALE_MINUTES),
        ),
        webhook_events=WebhookEventQueries(uow_factory),
        quarantined_records=QuarantineQueries(uow_factory),
        search_members=SearchMembers(uow_factory, settings.SALON_REGION),
        change_role=ChangeRole(uow_factory),
        ensure_admin=EnsureAdmin(uow_factory, hasher, clock),
        closers=closers,
    )
    queue.inline.container = container
    return container
