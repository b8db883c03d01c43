"""Every use case, built once from the ports and sorted into the groups routers receive.

A use case another one calls (`IngestRecords` in `ApplyBatch`, `SettleVisit` in the ingest
and the reconciliation, the inbox writer in `AcceptWebhook`) is built here and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from src.adapters.expiry_reminders import EmailExpiryReminders
from src.adapters.tasks.table import TaskWork
from src.application.inbox.accept import AcceptWebhook, InboxWriter
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
from src.application.ports.sync import SyncLock
from src.application.ports.tasks import TaskQueue
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.yclients import WebhookDecoder, YClientsGateway
from src.application.switches import Switches
from src.application.use_cases.access import CheckReadiness, CurrentUser
from src.application.use_cases.bookings import LinkBookingManually, ListBookings, ListUnmatched
from src.application.use_cases.checkout import CheckoutPage
from src.application.use_cases.client_codes import GenerateUniqueCodes, IssueBookingForm
from src.application.use_cases.expire_points import ExpirePoints, ExpiringSoon, RecordTtl
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.loyalty import (
    AdjustPoints,
    ConfigureLevels,
    GetLoyaltyAccount,
    ListTransactions,
)
from src.application.use_cases.member_card import MemberCard
from src.application.use_cases.members import ChangeRole, EnsureAdmin, SearchMembers
from src.application.use_cases.once import RunOnce
from src.application.use_cases.overview import Overview
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
from src.application.use_cases.sync import SyncAll, SyncBookings, SyncRunQueries
from src.application.use_cases.sync_reaper import ReapSyncRuns
from src.application.use_cases.sync_schedule import RequestSync, SyncActiveSalons
from src.application.use_cases.today import TodayVisits
from src.application.use_cases.unmatched import (
    DismissClient,
    RestoreClient,
    UndoLink,
    UnmatchedToDo,
)
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
from src.application.use_cases.visit_settlement import SettleVisit
from src.domain.client_codes import generate_client_code
from src.entrypoints.settings import Settings
from src.entrypoints.wiring import groups as g
from src.entrypoints.wiring.adapters import build_sms_regions, hold_rules, queue_gate


@dataclass
class Ports:
    """The adapters the use cases are built on (each already chosen by `build_container`);
    `Container` is built on it."""

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
    queue: TaskQueue
    sync_lock: SyncLock


def build_pipeline(p: Ports) -> g.Pipeline:
    """Syncs and the webhook inbox, sharing one ingest (and its award step)."""
    s = p.settings
    uow, clock, switches, queue = p.uow_factory, p.clock, p.switches, p.queue
    ingest = IngestRecords(uow, clock, switches, award=SettleVisit())
    apply_batch = ApplyBatch(
        uow, ingest, p.gateway, p.decoder, clock, switches,
        batch_size=s.INBOX_BATCH_SIZE,
        max_attempts=s.WEBHOOK_MAX_ATTEMPTS,
        retry_delay=timedelta(seconds=s.WEBHOOK_RETRY_DELAY_SECONDS),
    )  # fmt: skip
    sync = SyncBookings(
        uow, p.gateway, clock, p.sync_lock, switches,
        past_days=s.SYNC_PAST_DAYS,
        future_days=s.SYNC_FUTURE_DAYS,
        heartbeat_every=s.SYNC_HEARTBEAT_SECONDS,
        full_sweep_every=timedelta(hours=s.SYNC_FULL_SWEEP_HOURS),
        incremental_margin=timedelta(minutes=s.SYNC_INCREMENTAL_MARGIN_MINUTES),
        interval=timedelta(seconds=s.sync_interval_seconds),
        backoff_cap=timedelta(minutes=s.SYNC_BACKOFF_MAX_MINUTES),
    )  # fmt: skip
    return g.Pipeline(
        ingest=ingest,
        sync=sync,
        sync_all=SyncAll(sync),  # the active salons (the salons table)
        apply_batch=apply_batch,
        drain_inbox=DrainInbox(apply_batch, queue_gate(queue), queue, uow),
        process_webhook=ProcessWebhookEvent(uow, apply_batch),
        sweep_inbox=SweepInbox(
            uow,
            queue,
            clock,
            switches,
            older_than=timedelta(seconds=s.INBOX_SWEEP_AFTER_SECONDS),
        ),
        reap_sync_runs=ReapSyncRuns(
            uow, queue, clock, switches, stale_after=timedelta(minutes=s.SYNC_STALE_MINUTES)
        ),
        sync_active_salons=SyncActiveSalons(
            uow, queue, clock, switches, timedelta(seconds=s.sync_interval_seconds)
        ),
    )


def build_upkeep(p: Ports, reminders: ExpiryReminders | None = None) -> g.Upkeep:
    s, uow, clock = p.settings, p.uow_factory, p.clock
    reminders = reminders or EmailExpiryReminders(p.notifier)
    return g.Upkeep(
        configure_levels=ConfigureLevels(uow),
        ensure_salons=EnsureSalons(uow, clock, s.YCLIENTS_COMPANY_IDS, salon_defaults(s)),
        record_ttl=RecordTtl(uow, clock, s.POINTS_TTL_DAYS),
        reconcile_points=ReconcilePoints(uow, clock, p.switches, award=SettleVisit()),
        expire_points=ExpirePoints(
            uow,
            clock,
            reminders,
            ttl_days=s.POINTS_TTL_DAYS,
            reminder_days=s.POINTS_EXPIRY_REMINDER_DAYS,
            switches=p.switches,
        ),
        generate_unique_codes=GenerateUniqueCodes(uow, generate_client_code),
        ensure_admin=EnsureAdmin(uow, p.hasher, clock),
        trust_contacts=TrustContacts(uow, clock),
    )


def build_accounts(p: Ports) -> g.Accounts:
    s, uow, notifier, hasher = p.settings, p.uow_factory, p.notifier, p.hasher
    # Code digests are keyed with the app secret (JWT_SECRET, checked in production).
    codes = VerificationCodes(
        s.JWT_SECRET, p.clock, notifier,
        sms=s.SMS_PROVIDER != "none", sms_refusal=build_sms_regions(s).refusal,
    )  # fmt: skip
    return g.Accounts(
        settings=s,
        attempts=p.attempts,
        login_streaks=p.login_streaks,
        register=RegisterUser(
            uow,
            hasher,
            welcome=SendWelcomeCodes(uow, codes, notifier),
            phone_region=s.SALON_REGION,
        ),
        authenticate=Authenticate(uow, hasher),
        change_password=ChangePassword(uow, hasher),
        verify_contact=VerifyContact(uow, codes, p.clock, p.switches),
        resend_code=ResendCode(uow, codes, notifier),
        set_phone=SetPhone(uow, codes, notifier, s.SALON_REGION),
        request_password_reset=RequestPasswordReset(uow, codes, notifier),
        confirm_password_reset=ConfirmPasswordReset(uow, codes, hasher),
        profile=GetProfile(uow),
    )


def salon_defaults(settings: Settings) -> SalonDefaults:
    return SalonDefaults(region=settings.SALON_REGION, timezone=settings.ADMIN_TIMEZONE)


def build_groups(p: Ports, expiry_reminders: ExpiryReminders | None = None) -> g.Groups:
    """Each use case once; groups that share one share the same object. `expiry_reminders`:
    by email unless given."""
    s, uow, clock, switches, queue = p.settings, p.uow_factory, p.clock, p.switches, p.queue
    rules = hold_rules(s)
    pipeline = build_pipeline(p)
    upkeep = build_upkeep(p, expiry_reminders)
    accounts = build_accounts(p)
    admit = AdmitWebhook(uow, s.YCLIENTS_WEBHOOK_SECRET)
    run_once = RunOnce(uow, clock)
    request_sync = RequestSync(uow, queue, clock, switches)
    sync_runs = SyncRunQueries(uow)
    bookings = g.Bookings(
        issue_booking_form=IssueBookingForm(uow, generate_client_code, s.YCLIENTS_WIDGET_URL),
        list_bookings=ListBookings(uow, clock),
        points_held=PointsHeld(uow),
    )
    wallet = g.Wallet(
        loyalty=GetLoyaltyAccount(uow),
        transactions=ListTransactions(uow),
        expiring_soon=ExpiringSoon(uow, clock),
    )
    redemptions = g.Redemptions(
        hold_points=HoldPoints(uow, clock, rules=rules),
        release_hold=ReleaseHold(uow, clock, rules),
        list_redemptions=ListRedemptions(uow),
    )
    return g.Groups(
        access=g.Access(current_user=CurrentUser(uow), readiness=CheckReadiness(uow)),
        accounts=accounts,
        bookings=bookings,
        wallet=wallet,
        redemptions=redemptions,
        yclients=g.YClients(
            settings=s,
            admit_webhook=admit,
            # Any company: `admit_webhook` checked its salon's secret and says whether to hold.
            accept_webhook=AcceptWebhook(
                uow, p.decoder, queue, clock, None, switches, InboxWriter(uow)
            ),
            request_sync=request_sync,
            sync_runs=sync_runs,
            run_once=run_once,
        ),
        admin=g.Admin(
            search_members=SearchMembers(uow, s.SALON_REGION),
            change_role=ChangeRole(uow),
            adjust_points=AdjustPoints(uow, clock, s.ADJUSTMENT_MAX_POINTS),
            link_booking=LinkBookingManually(uow, clock, switches, SettleVisit()),
            list_unmatched=ListUnmatched(uow),
            redeem_points=RedeemPoints(uow, clock, rules),
            capture_hold=CaptureHold(uow, clock, rules),
            checkout_list=CheckoutList(uow, clock),
            today_visits=TodayVisits(uow, clock, rules),
            cancel_hold=CancelHold(uow, clock),
            webhook_events=WebhookEventQueries(uow),
            replay_webhook=ReplayWebhookEvent(uow, queue, clock, p.gateway, p.decoder, switches),
            quarantined_records=QuarantineQueries(uow),
            run_once=run_once,
            dismiss_client=DismissClient(uow, clock, switches),
            restore_client=RestoreClient(uow, switches),
            undo_link=UndoLink(uow, switches),
        ),
        salon_admin=g.SalonAdmin(
            settings=s,
            clock=clock,
            salons=SalonQueries(uow, clock),
            add_salon=AddSalon(
                uow, queue, clock, switches, admit.forget, defaults=salon_defaults(s)
            ),
            change_salon=ChangeSalon(uow, queue, clock, switches, admit.forget),
            rotate_salon_secret=RotateSalonSecret(uow, queue, clock, switches, admit.forget),
        ),
        console=g.Console(
            settings=s,
            clock=clock,
            switches=switches,
            member_card=MemberCard(uow, clock, rules),
            checkout_page=CheckoutPage(uow, clock),
            overview=Overview(uow),
            unmatched_todo=UnmatchedToDo(uow, switches),
            request_sync=request_sync,
            sync_runs=sync_runs,
        ),
        pipeline=pipeline,
        upkeep=upkeep,
        tasks=TaskWork(
            drain=pipeline.drain_inbox,
            sync=pipeline.sync,
            kick_syncs=pipeline.sync_active_salons,
            sweep=pipeline.sweep_inbox,
            reap=pipeline.reap_sync_runs,
            reconcile=upkeep.reconcile_points,
            expire=upkeep.expire_points,
        ),
    )
