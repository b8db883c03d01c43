"""Ports: what the use cases need from the outside world, as `typing.Protocol`s."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from src.application.request_budget import Priority
from src.application.salon_ports import SalonRepository
from src.domain.booking import Booking, BookingKey, BookingStatus, MatchMethod
from src.domain.inbox import EventState, WebhookEvent
from src.domain.loyalty import LedgerEntry, LoyaltyAccount, LoyaltyLevel
from src.domain.once import OnceKey
from src.domain.quarantine import QuarantinedRecord
from src.domain.record import YClientsRecord
from src.domain.redemption import Redemption, RedemptionState
from src.domain.sync_run import RunStatus, SyncRun
from src.domain.user import Role, User
from src.domain.verification import Purpose, VerificationCode

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, with the total across all pages."""

    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    password_hash: str
    role: Role = Role.USER
    phone: str | None = None
    phone_key: str | None = None
    name: str | None = None
    unique_code: str | None = None
    email_verified_at: datetime | None = None
    phone_verified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MemberQuery:
    """Admin member search: `text` is matched (case-insensitive, substring) against email,
    name, unique code and the phone key (src/domain/contacts.py); empty lists everyone.
    Any case of any alphabet (`анна` finds «Анна»); `%` and `_` are characters like the
    others. `clients_only` leaves staff (admin) accounts out. Newest first."""

    text: str = ""
    limit: int = 20
    offset: int = 0
    clients_only: bool = False


@dataclass(frozen=True, slots=True)
class MemberSummary:
    """A member as admins list them: the user, their points balance, completed spend (their
    level) and the time of their last completed visit."""

    user: User
    balance: Decimal
    completed_spend: Decimal = Decimal(0)
    last_visit: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactMatches:
    """Members found by each kind of contact (see `UserRepository.find_contacts`)."""

    by_code: dict[str, int] = field(default_factory=dict)  # code → user id
    by_email: dict[str, list[int]] = field(default_factory=dict)  # normalised email → ids
    by_phone: dict[str, list[int]] = field(default_factory=dict)  # phone key → ids


class UserRepository(Protocol):
    async def add(self, user: NewUser) -> User:
        """Insert; raises `DuplicateEmail` if the email is taken."""
        ...

    async def get(self, user_id: int) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the user's password hash (tokens made for the old one stop working)."""
        ...

    async def set_unique_code(self, user_id: int, code: str) -> bool:
        """Set the code if the user has none yet. False if the code belongs to someone else."""
        ...

    async def ids_without_code(self, limit: int) -> list[int]: ...

    async def find_by_codes(self, codes: Collection[str]) -> dict[str, int]:
        """code → user id, one query for the whole batch."""
        ...

    async def find_by_emails(self, emails: Collection[str]) -> dict[str, list[int]]:
        """normalised email → ids of every user with it, one query."""
        ...

    async def find_by_phone_keys(self, keys: Collection[str]) -> dict[str, list[int]]:
        """phone key → ids of every user with it, one query."""
        ...

    async def find_contacts(
        self,
        codes: Collection[str],
        emails: Collection[str],
        phone_keys: Collection[str],
        verified_only: bool = False,
    ) -> ContactMatches:
        """The three lookups above in one query (ids in id order). `verified_only`: emails
        and phones count only where their owner verified them (codes always count)."""
        ...

    async def trust_contacts(
        self, at: datetime, registered_before: datetime
    ) -> tuple[int, int, int, int]:
        """Mark the unverified emails and phones of members created before
        `registered_before` verified, except phones several members share (and phones another
        member already verified): (emails marked, phones marked, phones skipped as shared,
        phone keys skipped)."""
        ...

    async def search(self, query: MemberQuery) -> Page[MemberSummary]:
        """Members matching `query.text` (see `MemberQuery`), with balances."""
        ...

    async def lock_admin_ids(self) -> list[int]:
        """Ids of every admin, locked until commit (two demotions cannot both pass)."""
        ...

    async def set_role(self, user_id: int, role: Role) -> None: ...

    async def lock(self, user_id: int) -> User | None:
        """The user, locked until commit against other writers of the row (not against
        bookings that reference it: FOR NO KEY UPDATE on PostgreSQL)."""
        ...

    async def set_phone(self, user_id: int, phone: str, phone_key: str) -> None:
        """Set or change the phone; it is unverified until its code is typed."""
        ...

    async def mark_verified(self, user_id: int, purpose: Purpose, at: datetime) -> None:
        """Mark the member's current email (EMAIL) or phone (PHONE) verified. Raises
        `ContactTaken` if another member has it verified (the unique index decides, so of
        two concurrent verifications one wins)."""
        ...


class VerificationCodeRepository(Protocol):
    async def add(self, code: VerificationCode) -> VerificationCode: ...

    async def lock_latest(self, user_id: int, purpose: Purpose) -> VerificationCode | None:
        """The member's newest code for `purpose` (older ones are dead), locked until commit."""
        ...

    async def save(self, code: VerificationCode) -> None:
        """Write `attempts` and `consumed_at`."""
        ...

    async def sent_since(
        self, since: datetime, user_id: int, contact: str
    ) -> list[VerificationCode]:
        """Codes created at or after `since` for this member or to this contact."""
        ...

    async def of_user_since(
        self, user_id: int, purpose: Purpose, since: datetime
    ) -> list[VerificationCode]:
        """The member's codes of `purpose` created at or after `since` (limits and tries)."""
        ...

    async def delete_before(self, user_id: int, before: datetime) -> None:
        """Forget the member's codes created before `before` (the table stays small)."""
        ...


@dataclass(frozen=True, slots=True)
class BookingQuery:
    user_id: int | None = None
    statuses: frozenset[BookingStatus] | None = None
    starts_from: datetime | None = None  # appointment_at >= this; ordered nearest first
    unmatched_only: bool = False
    limit: int = 20
    offset: int = 0


class BookingRepository(Protocol):
    async def get(self, booking_id: int) -> Booking | None: ...

    async def get_many(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        """The stored bookings among `keys`, one query."""
        ...

    async def get_versions(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        """`get_many` without what is only shown to people (services, staff and client
        name are left empty): enough to compare versions, link and decide awards, cheaper to
        read. Never write such a booking back as it is."""
        ...

    async def upsert_many(self, bookings: Sequence[Booking]) -> dict[BookingKey, int]:
        """Insert or update in one statement, keyed by (company_id, record_id).

        A stored row is overwritten only by a fresher version (`Booking.freshness` is NEWER)
        or, at the same version, when it is still unlinked, so a racing older write changes
        nothing. The link (user_id, match_method) is taken only while the stored row has none;
        loyalty columns (bonus_*, ledger_step) are never written here. Returns the id of every
        key passed in."""
        ...

    async def upsert_and_lock(
        self, bookings: Sequence[Booking], want: Collection[BookingKey] | None = None
    ) -> dict[BookingKey, Booking]:
        """`upsert_many`, returning the rows of `want` (default: every key) as stored after
        the write, locked until commit. Rows written come back from the write itself; a key
        whose stored row was fresher is read with FOR UPDATE (a second statement, only
        then)."""
        ...

    async def lock_many(self, ids: Collection[int]) -> list[Booking]:
        """Current rows, locked until commit (SELECT ... FOR UPDATE), ordered by id."""
        ...

    async def save_loyalty(self, bookings: Sequence[Booking]) -> None:
        """Write bonus_points / bonus_percent / bonus_basis / ledger_step of locked rows."""
        ...

    async def relink(self, booking_id: int, user_id: int, method: MatchMethod) -> None:
        """Link (or relink) a booking to a user whatever it was linked to: an admin action."""
        ...

    async def mark_deleted(self, key: BookingKey, at: datetime) -> int | None:
        """Cancel a booking YClients deleted at `at`; returns its id, None if we never had
        it or the stored version is newer than `at` (an old delete replayed changes nothing;
        `DELETE_CLOCK_SKEW` of tolerance for clocks and rounding)."""
        ...

    async def query(self, q: BookingQuery) -> Page[Booking]: ...

    async def lock_unmatched_by_contact(
        self, email: str | None, phone_key: str | None
    ) -> list[Booking]:
        """Every unlinked booking whose client email (lower-cased) or phone (its
        key) is one of these, whatever its date, locked until commit, in id order. A
        superset is fine: the caller resolves each again."""
        ...

    async def points_candidates(self, after_id: int, limit: int) -> list[int]:
        """Ids above `after_id` (ascending, at most `limit`) of linked bookings whose points
        may differ from their entitlement. A superset is fine: the award decides."""
        ...


class LedgerRepository(Protocol):
    async def lock_accounts(self, user_ids: Collection[int]) -> dict[int, LoyaltyAccount]:
        """Accounts locked until commit, created (empty) where missing, locked in id order."""
        ...

    async def save_accounts(self, accounts: Collection[LoyaltyAccount]) -> None: ...

    async def get_account(self, user_id: int) -> LoyaltyAccount: ...

    async def append(self, entries: Sequence[LedgerEntry]) -> None:
        """Insert entries. (booking_id, step) is unique: a duplicate step raises."""
        ...

    async def add(self, entry: LedgerEntry) -> LedgerEntry:
        """Insert one entry and return it as stored (with its id). (redemption_id, kind) is
        unique: a second HOLD / RELEASE / REDEMPTION of one redemption raises."""
        ...

    async def entries(self, user_id: int, limit: int, offset: int) -> Page[LedgerEntry]: ...


class RedemptionRepository(Protocol):
    async def add(self, redemption: Redemption) -> Redemption:
        """Insert; returns it with its id. A second HELD one for a booking raises
        `ConcurrentUpdate` (the database keeps one active redemption per booking)."""
        ...

    async def get(self, redemption_id: int) -> Redemption | None: ...

    async def lock(self, redemption_id: int) -> Redemption | None:
        """The current row, locked until commit."""
        ...

    async def lock_held(self, booking_ids: Collection[int]) -> list[Redemption]:
        """The HELD redemptions of these bookings, locked until commit, in id order."""
        ...

    async def lock_active(self, booking_ids: Collection[int]) -> list[Redemption]:
        """The HELD and CAPTURED redemptions of these bookings, locked until commit, in id
        order."""
        ...

    async def redeemed_on(self, booking_id: int) -> Decimal:
        """Points staff redeemed (REDEEMED) on this booking, in total."""
        ...

    async def save(self, redemptions: Sequence[Redemption]) -> None:
        """Write the state (and who captured them) of locked rows."""
        ...

    async def held_points(self, booking_ids: Collection[int]) -> dict[int, Decimal]:
        """booking id → points held on it (bookings without a hold are left out)."""
        ...

    async def query(self, user_id: int, limit: int, offset: int) -> Page[Redemption]:
        """A member's redemptions, newest first."""
        ...

    async def for_visits(
        self, state: RedemptionState, start: datetime, end: datetime
    ) -> list[Redemption]:
        """Redemptions in `state` whose booking is at [start, end), by appointment time."""
        ...


class LevelRepository(Protocol):
    async def all(self) -> list[LoyaltyLevel]: ...

    async def replace(self, levels: Sequence[LoyaltyLevel]) -> None:
        """Make these the levels (by name); levels not listed are removed."""
        ...


class InboxRepository(Protocol):
    async def add(self, event: WebhookEvent) -> tuple[int, bool]:
        """Store unless an event with the same dedupe key exists; (id, created)."""
        ...

    async def add_many(self, events: Sequence[WebhookEvent]) -> list[tuple[int, bool]]:
        """`add` for each event, in order, in one statement (plus one to read the ids of
        duplicates, only when there are some). Of two events with the same dedupe key in
        one call, the first is created and the second is its duplicate."""
        ...

    async def get(self, event_id: int) -> WebhookEvent | None: ...

    async def save(self, event: WebhookEvent) -> None:
        """Write state, attempts, last_error, processed_at."""
        ...

    async def query(
        self, state: EventState | None, limit: int, offset: int
    ) -> Page[WebhookEvent]: ...

    async def pending_before(self, before: datetime, limit: int) -> list[int]:
        """PENDING events with no activity since `before`: received then, and not attempted
        since (an event a worker is retrying is not swept into a second chain), and due
        (`retry_at` passed)."""
        ...

    async def claim(
        self,
        limit: int,
        *,
        now: datetime,
        include: int | None = None,
        company_id: int | None = None,
        ids: Collection[int] | None = None,
    ) -> list[WebhookEvent]:
        """Lock up to `limit` PENDING events until commit, oldest first, in one statement,
        skipping rows another transaction holds (FOR UPDATE SKIP LOCKED), so concurrent
        workers share a backlog without overlap. All of one company: `include`'s (that
        event first, whatever its `retry_at`), else `company_id`'s. Other events are taken
        only when due (`retry_at` null or passed). `ids` limits the claim to those events."""
        ...

    async def mark_processed(self, ids: Collection[int], at: datetime) -> None:
        """PROCESSED, one more attempt, error cleared, for all of `ids` in one statement."""
        ...


class QuarantineRepository(Protocol):
    async def add_many(self, records: Sequence[QuarantinedRecord]) -> None:
        """Store (or refresh the reason of) records set aside, keyed by company + record."""
        ...

    async def query(
        self, company_id: int | None, limit: int, offset: int
    ) -> Page[QuarantinedRecord]: ...


class SyncRunRepository(Protocol):
    async def add(self, run: SyncRun) -> SyncRun: ...

    async def save(self, run: SyncRun) -> None: ...

    async def save_if(
        self, run: SyncRun, expected: RunStatus, stale_before: datetime | None = None
    ) -> bool:
        """Save only if the stored run is still `expected` and (with `stale_before`) was
        last seen before then; atomic, so of two workers exactly one wins."""
        ...

    async def heartbeat(self, run_id: int, at: datetime) -> None:
        """A RUNNING run's sign of life."""
        ...

    async def lost(self, stale_before: datetime, limit: int) -> list[SyncRun]:
        """QUEUED or RUNNING runs last seen before `stale_before`, oldest first."""
        ...

    async def get(self, run_id: int) -> SyncRun | None: ...

    async def last_succeeded(self, company_id: int, kind: str | None = None) -> SyncRun | None:
        """The company's SUCCEEDED run (of `kind`, if given) that started last."""
        ...

    async def query(self, company_id: int | None, limit: int, offset: int) -> Page[SyncRun]: ...


class AppStateRepository(Protocol):
    """Small named values the service remembers between runs (say, the loyalty switch)."""

    async def get(self, name: str) -> str | None: ...

    async def put(self, name: str, value: str, at: datetime) -> None: ...


class OnceKeyRepository(Protocol):
    """One-time keys of staff actions (`use_cases/once.py`): one row per (actor, key), unique
    in the database, with the answer the first request got."""

    async def claim(self, key: OnceKey) -> bool:
        """Insert the key unless (actor, key) is stored; True if this call inserted it. A
        concurrent claim of the same key waits for the other transaction, then loses."""
        ...

    async def get(self, actor_id: int, key: str) -> OnceKey | None: ...

    async def finish(self, actor_id: int, key: str, result: str) -> None: ...

    async def forget(self, actor_id: int, key: str) -> None: ...

    async def purge(self, before: datetime) -> int:
        """Delete keys created before `before`; how many."""
        ...


class ExpiryRepository(Protocol):
    """Points expiry's reads and its exactly-once records (one per expired / reminded lot)."""

    async def candidate_users(
        self, credited_before: datetime, after_user_id: int, limit: int
    ) -> list[int]:
        """Members (ids above `after_user_id`, ascending, at most `limit`) holding a credit
        made at or before `credited_before` that has not expired. A superset is fine."""
        ...

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        """All of the member's entries, in id order."""
        ...

    async def expired_lots(self, user_id: int) -> dict[int, int]:
        """EXPIRY entry id → the lot (credit entry id) it expired."""
        ...

    async def record_expiry(
        self, lot_entry_id: int, entry_id: int, user_id: int, points: Decimal, at: datetime
    ) -> None:
        """Raises `ConcurrentUpdate` if the lot has already expired (unique per lot)."""
        ...

    async def reminded_lots(self, user_id: int) -> set[int]: ...

    async def record_reminder(
        self, lot_entry_id: int, user_id: int, expires_at: datetime, at: datetime
    ) -> bool:
        """True if this call recorded the lot's reminder, False if it already was."""
        ...


class ExpiryReminders(Protocol):
    """Tells a member that points are about to expire."""

    async def points_expiring(
        self, user_id: int, points: Decimal, expires_at: datetime
    ) -> None: ...


class UnitOfWork(Protocol):
    """One transaction. `async with uow:` rolls back unless `commit()` was called."""

    users: UserRepository
    bookings: BookingRepository
    ledger: LedgerRepository
    levels: LevelRepository
    redemptions: RedemptionRepository
    inbox: InboxRepository
    sync_runs: SyncRunRepository
    quarantine: QuarantineRepository
    app_state: AppStateRepository
    expiry: ExpiryRepository
    verification_codes: VerificationCodeRepository
    salons: SalonRepository
    once_keys: OnceKeyRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Commit, then run what `after_commit` recorded (once; a commit that fails runs
        nothing)."""

    async def rollback(self) -> None:
        """Roll back and drop what `after_commit` recorded since the last commit."""

    def after_commit(self, publish: Callable[[], None]) -> None:
        """Run `publish` once this transaction commits; dropped if it rolls back. Log lines
        (and the metrics fed by them) about what the transaction wrote go here, so a
        transaction retried after a conflict reports its writes once."""


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record the gateway could not decode; it is counted and logged, its page goes on."""

    record_id: str | None
    field: str | None
    reason: str


@dataclass(slots=True)
class RecordPage:
    records: list[YClientsRecord]
    errors: list[RecordError] = field(default_factory=list)


class YClientsGateway(Protocol):
    # `priority`: who waits on the requests (see request_budget.py): a page of a scheduled
    # sync is background, a record re-fetched for a webhook is interactive.
    def record_pages(
        self,
        company_id: int,
        start: date,
        end: date,
        changed_after: datetime | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[RecordPage]:
        """Pages of records dated in [start, end] (company-local dates, inclusive), deleted
        ones included; raises `GatewayError` if the window cannot be fetched completely."""
        ...

    async def get_record(
        self, company_id: int, record_id: int, *, priority: Priority = Priority.INTERACTIVE
    ) -> YClientsRecord | None: ...


@dataclass(frozen=True, slots=True)
class WebhookNotice:
    """The envelope of a YClients webhook: enough to store and route it."""

    company_id: int
    resource: str
    resource_id: int
    status: str  # create | update | delete


class WebhookDecoder(Protocol):
    def envelope(self, body: bytes) -> WebhookNotice:
        """Decode only the envelope. Raises `MalformedPayload` (not JSON / not an object) or
        `ValidationFailed` naming the missing or invalid fields."""
        ...

    def record(self, body: bytes) -> YClientsRecord | None:
        """The record in `data`, or None when `data` is missing or partial."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class CodeGenerator(Protocol):
    def __call__(self) -> str: ...


class PasswordHasher(Protocol):
    """Slow by design: implementations keep the work off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...


class AttemptCounters(Protocol):
    """Throttling counters over a sliding window, O(1) per attempt, bounded memory."""

    async def hit(self, limits: Sequence[tuple[str, int]], window: float) -> int | None:
        """Count one attempt against every `(key, limit)` unless one is at its limit: then
        count nothing and return the seconds to wait (None = allowed and counted)."""
        ...


class LoginStreaks(Protocol):
    """Consecutive failed logins per account (`src.domain.login_backoff`), shared by every
    process when Redis is configured."""

    async def admit(self, key: str) -> int | None:
        """Let one attempt go ahead, counted as a failure until `clear` (None), or refuse it:
        the seconds to wait."""
        ...

    async def clear(self, key: str) -> None:
        """A correct password: the streak starts over."""
        ...


class Notifier(Protocol):
    """Sends messages to members. `code` is the verification code a message carries, if any
    (the development adapter logs it as a field). Failures raise NotificationFailed."""

    async def send_email(
        self, to: str, subject: str, text: str, code: str | None = None
    ) -> None: ...

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None: ...


class TaskQueue(Protocol):
    """Hands work to the task runner. A kick is not processing: the work runs later, in a
    task, and processing an event is always a drain (`DrainInbox`)."""

    async def kick_drain(self, company_id: int) -> None:
        """Make sure a drain of the company's PENDING events runs after this call: a new
        task, unless one is queued that has not claimed yet (kicks are coalesced through the
        `DrainGate`)."""
        ...

    async def retry_event(self, event_id: int, at: datetime | None = None) -> None:
        """Drain the event's company at `at` (its `retry_at`; now if None): a retry, a
        replay, the sweeper. The drain takes the event only if it is due by then."""
        ...

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        """Enqueue a sync; `run_id` is a QUEUED run row the sync should fill in."""
        ...


class DrainGate(Protocol):
    """Per company: "a drain is queued and has not claimed yet". The kick sets it and sends a
    task only if it was not set; the drain clears it right before each claim. Whatever was
    committed before a kick that found it set is therefore claimed after the clear."""

    async def mark(self, company_ids: Sequence[int]) -> list[bool]:
        """Set each company's gate; True where it was not set (that company needs a task)."""
        ...

    async def clear(self, company_id: int) -> None: ...


class SyncLock(Protocol):
    def hold(self, company_id: int) -> AbstractAsyncContextManager[bool]:
        """`async with lock.hold(cid) as acquired:`; acquired is False if already held."""
        ...
