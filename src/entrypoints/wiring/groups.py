"""The use cases each router (or process) needs, as small frozen groups.

A router declares its group as a Litestar dependency (`Provide` on the router); a handler
takes the group it uses by name (`accounts: AccountsDep`), never the whole container.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from src.adapters.tasks.table import TaskWork
from src.application.inbox import accept, batch, drain
from src.application.inbox import admin as inbox_admin
from src.application.ports.auth import AttemptCounters, LoginStreaks
from src.application.ports.clock import Clock
from src.application.switches import Switches
from src.application.use_cases import (
    access,
    bookings,
    checkout,
    client_codes,
    expire_points,
    ingest,
    members,
    once,
    password_reset,
    quarantine,
    reconcile_points,
    redemptions,
    staff_holds,
    sync_reaper,
    sync_schedule,
    today,
    users,
    verification,
)
from src.application.use_cases import (
    loyalty as loyalty_uc,
)
from src.application.use_cases import (
    member_card as member_card_uc,
)
from src.application.use_cases import (
    overview as overview_uc,
)
from src.application.use_cases import (
    salons as salons_uc,
)
from src.application.use_cases import (
    sync as sync_uc,
)
from src.entrypoints.settings import Settings


@dataclass(frozen=True, slots=True)
class Access:
    """The guards and probes: who is calling, is the service ready."""

    current_user: access.CurrentUser
    readiness: access.CheckReadiness


@dataclass(frozen=True, slots=True)
class Accounts:
    """/auth and /me: sign-up, sign-in (with its throttles), contacts, passwords."""

    settings: Settings
    attempts: AttemptCounters
    login_streaks: LoginStreaks
    register: users.RegisterUser
    authenticate: users.Authenticate
    change_password: users.ChangePassword
    verify_contact: verification.VerifyContact
    resend_code: verification.ResendCode
    set_phone: verification.SetPhone
    request_password_reset: password_reset.RequestPasswordReset
    confirm_password_reset: password_reset.ConfirmPasswordReset
    profile: users.GetProfile


@dataclass(frozen=True, slots=True)
class Bookings:
    """/bookings: a member's visits and the booking form."""

    issue_booking_form: client_codes.IssueBookingForm
    list_bookings: bookings.ListBookings
    points_held: redemptions.PointsHeld


@dataclass(frozen=True, slots=True)
class Wallet:
    """/loyalty: a member's balance, history and points about to expire."""

    loyalty: loyalty_uc.GetLoyaltyAccount
    transactions: loyalty_uc.ListTransactions
    expiring_soon: expire_points.ExpiringSoon


@dataclass(frozen=True, slots=True)
class Redemptions:
    """/redemptions: a member holds points on a visit and releases them."""

    hold_points: redemptions.HoldPoints
    release_hold: redemptions.ReleaseHold
    list_redemptions: redemptions.ListRedemptions


@dataclass(frozen=True, slots=True)
class YClients:
    """/yclients: the webhook and manual syncs."""

    settings: Settings
    admit_webhook: salons_uc.AdmitWebhook
    accept_webhook: accept.AcceptWebhook
    request_sync: sync_schedule.RequestSync
    sync_runs: sync_uc.SyncRunQueries
    run_once: once.RunOnce


@dataclass(frozen=True, slots=True)
class Admin:
    """/admin (API) and the console's staff actions."""

    search_members: members.SearchMembers
    change_role: members.ChangeRole
    adjust_points: loyalty_uc.AdjustPoints
    link_booking: bookings.LinkBookingManually
    list_unmatched: bookings.ListUnmatched
    redeem_points: redemptions.RedeemPoints
    capture_hold: redemptions.CaptureHold
    checkout_list: redemptions.CheckoutList
    today_visits: today.TodayVisits
    cancel_hold: staff_holds.CancelHold
    webhook_events: inbox_admin.WebhookEventQueries
    replay_webhook: inbox_admin.ReplayWebhookEvent
    quarantined_records: quarantine.QuarantineQueries
    run_once: once.RunOnce


@dataclass(frozen=True, slots=True)
class SalonAdmin:
    """/admin/salons (API and console): the salons and their webhook secrets."""

    settings: Settings
    clock: Clock
    salons: salons_uc.SalonQueries
    add_salon: salons_uc.AddSalon
    change_salon: salons_uc.ChangeSalon
    rotate_salon_secret: salons_uc.RotateSalonSecret


@dataclass(frozen=True, slots=True)
class Console:
    """What console pages read beyond `Admin` and `SalonAdmin`: a page's query use case
    (member, checkout, overview), sync runs."""

    settings: Settings
    clock: Clock
    switches: Switches
    member_card: member_card_uc.MemberCard
    checkout_page: checkout.CheckoutPage
    overview: overview_uc.Overview
    request_sync: sync_schedule.RequestSync
    sync_runs: sync_uc.SyncRunQueries


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Bookings flowing in: syncs, the webhook inbox and its upkeep (tasks, CLI, tests)."""

    ingest: ingest.IngestRecords
    sync: sync_uc.SyncBookings
    sync_all: sync_uc.SyncAll
    apply_batch: batch.ApplyBatch
    drain_inbox: drain.DrainInbox
    process_webhook: inbox_admin.ProcessWebhookEvent
    sweep_inbox: inbox_admin.SweepInbox
    reap_sync_runs: sync_reaper.ReapSyncRuns
    sync_active_salons: sync_schedule.SyncActiveSalons


@dataclass(frozen=True, slots=True)
class Upkeep:
    """Start-up and operator jobs (worker, CLI): levels, salons, points, codes, admins."""

    configure_levels: loyalty_uc.ConfigureLevels
    ensure_salons: salons_uc.EnsureSalons
    record_ttl: expire_points.RecordTtl
    reconcile_points: reconcile_points.ReconcilePoints
    expire_points: expire_points.ExpirePoints
    generate_unique_codes: client_codes.GenerateUniqueCodes
    ensure_admin: members.EnsureAdmin
    trust_contacts: users.TrustContacts


@dataclass
class Groups:
    """Every group, plus the work the task runner is served (`Container` is built on it)."""

    access: Access
    accounts: Accounts
    bookings: Bookings
    wallet: Wallet
    redemptions: Redemptions
    yclients: YClients
    admin: Admin
    salon_admin: SalonAdmin
    console: Console
    pipeline: Pipeline
    upkeep: Upkeep
    tasks: TaskWork


GROUPS = tuple(f.name for f in fields(Groups) if f.name != "tasks")
"""The container's group fields, in the order `Container.__getattr__` searches them."""
