"""The use cases each router (or process) needs, as small frozen groups.

A router declares its group as a Litestar dependency (`Provide` on the router); a handler
takes the group it uses by name (`accounts: AccountsDep`), never the whole container.
"""

from __future__ import annotations

from dataclasses import dataclass

from src.application.inbox.accept import AcceptWebhook
from src.application.inbox.admin import (
    ProcessWebhookEvent,
    ReplayWebhookEvent,
    SweepInbox,
    WebhookEventQueries,
)
from src.application.inbox.batch import ApplyBatch
from src.application.inbox.drain import DrainInbox
from src.application.ports.auth import AttemptCounters, LoginStreaks
from src.application.ports.clock import Clock
from src.application.switches import Switches
from src.application.use_cases.access import CheckReadiness, CurrentUser
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
    SalonQueries,
    SyncActiveSalons,
)
from src.application.use_cases.staff_holds import CancelHold
from src.application.use_cases.sync import (
    ReapSyncRuns,
    RequestSync,
    SyncAll,
    SyncBookings,
    SyncRunQueries,
)
from src.application.use_cases.today import TodayVisits
from src.application.use_cases.users import (
    Authenticate,
    ChangePassword,
    GetProfile,
    RegisterUser,
    TrustContacts,
)
from src.application.use_cases.verification import ResendCode, SetPhone, VerifyContact
from src.entrypoints.settings import Settings


@dataclass(frozen=True, slots=True)
class Access:
    """The guards and probes: who is calling, is the service ready."""

    current_user: CurrentUser
    readiness: CheckReadiness


@dataclass(frozen=True, slots=True)
class Accounts:
    """/auth and /me: sign-up, sign-in (with its throttles), contacts, passwords."""

    settings: Settings
    attempts: AttemptCounters
    login_streaks: LoginStreaks
    register: RegisterUser
    authenticate: Authenticate
    change_password: ChangePassword
    verify_contact: VerifyContact
    resend_code: ResendCode
    set_phone: SetPhone
    request_password_reset: RequestPasswordReset
    confirm_password_reset: ConfirmPasswordReset
    profile: GetProfile


@dataclass(frozen=True, slots=True)
class Bookings:
    """/bookings: a member's visits and the booking form."""

    issue_booking_form: IssueBookingForm
    list_bookings: ListBookings
    points_held: PointsHeld


@dataclass(frozen=True, slots=True)
class Wallet:
    """/loyalty: a member's balance, history and points about to expire."""

    loyalty: GetLoyaltyAccount
    transactions: ListTransactions
    expiring_soon: ExpiringSoon


@dataclass(frozen=True, slots=True)
class Redemptions:
    """/redemptions: a member holds points on a visit and releases them."""

    hold_points: HoldPoints
    release_hold: ReleaseHold
    list_redemptions: ListRedemptions


@dataclass(frozen=True, slots=True)
class YClients:
    """/yclients: the webhook and manual syncs."""

    settings: Settings
    admit_webhook: AdmitWebhook
    accept_webhook: AcceptWebhook
    request_sync: RequestSync
    sync_runs: SyncRunQueries
    run_once: RunOnce


@dataclass(frozen=True, slots=True)
class Admin:
    """/admin (API) and the console's staff actions."""

    search_members: SearchMembers
    change_role: ChangeRole
    adjust_points: AdjustPoints
    link_booking: LinkBookingManually
    list_unmatched: ListUnmatched
    redeem_points: RedeemPoints
    capture_hold: CaptureHold
    checkout_list: CheckoutList
    today_visits: TodayVisits
    cancel_hold: CancelHold
    webhook_events: WebhookEventQueries
    replay_webhook: ReplayWebhookEvent
    quarantined_records: QuarantineQueries
    run_once: RunOnce


@dataclass(frozen=True, slots=True)
class SalonAdmin:
    """/admin/salons (API and console): the salons and their webhook secrets."""

    settings: Settings
    clock: Clock
    salons: SalonQueries
    add_salon: AddSalon
    change_salon: ChangeSalon
    rotate_salon_secret: RotateSalonSecret


@dataclass(frozen=True, slots=True)
class Console:
    """What console pages read beyond `Admin` and `SalonAdmin`: a member's page, sync runs."""

    settings: Settings
    clock: Clock
    switches: Switches
    profile: GetProfile
    loyalty: GetLoyaltyAccount
    transactions: ListTransactions
    ledger_context: LedgerContextOf
    list_bookings: ListBookings
    points_held: PointsHeld
    list_redemptions: ListRedemptions
    request_sync: RequestSync
    sync_runs: SyncRunQueries


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Bookings flowing in: syncs, the webhook inbox and its upkeep (tasks, CLI, tests)."""

    ingest: IngestRecords
    sync: SyncBookings
    sync_all: SyncAll
    apply_batch: ApplyBatch
    drain_inbox: DrainInbox
    process_webhook: ProcessWebhookEvent
    sweep_inbox: SweepInbox
    reap_sync_runs: ReapSyncRuns
    sync_active_salons: SyncActiveSalons


@dataclass(frozen=True, slots=True)
class Upkeep:
    """Start-up and operator jobs (worker, CLI): levels, salons, points, codes, admins."""

    configure_levels: ConfigureLevels
    ensure_salons: EnsureSalons
    record_ttl: RecordTtl
    reconcile_points: ReconcilePoints
    expire_points: ExpirePoints
    generate_unique_codes: GenerateUniqueCodes
    ensure_admin: EnsureAdmin
    trust_contacts: TrustContacts


GROUPS = (
    "access",
    "accounts",
    "bookings",
    "wallet",
    "redemptions",
    "yclients",
    "admin",
    "salon_admin",
    "console",
    "pipeline",
    "upkeep",
)
"""The container's group fields, in the order `Container.__getattr__` searches them."""
