"""In-memory fakes of every port. Tiny on purpose: tests assert on their state.

The integration contract suite runs the same checks against these and the SQL adapters,
so the fakes cannot drift from the real thing.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Self

from src.application.errors import ConcurrentUpdate, ContactTaken, DuplicateEmail, WriteRejected
from src.application.ports import (
    BookingQuery,
    ContactMatches,
    MemberQuery,
    MemberSummary,
    NewUser,
    Page,
    RecordPage,
)
from src.application.request_budget import Priority
from src.application.salon_ports import SalonActivity
from src.domain.booking import DELETE_CLOCK_SKEW, Booking, BookingKey, BookingStatus, MatchMethod
from src.domain.contacts import normalize_email, phone_key
from src.domain.inbox import EventState, WebhookEvent
from src.domain.loyalty import DEFAULT_LEVELS, LedgerEntry, LoyaltyAccount, LoyaltyLevel
from src.domain.once import OnceKey
from src.domain.quarantine import QuarantinedRecord
from src.domain.record import YClientsRecord
from src.domain.redemption import ACTIVE_STATES, Redemption, RedemptionState
from src.domain.salon import Salon
from src.domain.sync_run import RunStatus, SyncRun
from src.domain.sync_schedule import next_slot
from src.domain.user import Role, User
from src.domain.verification import Purpose, VerificationCode
from src.domain.versions import supersedes


@dataclass
class Store:
    """Everything the fakes hold; shared by every unit of work made from one factory."""

    users: dict[int, User] = field(default_factory=dict)
    bookings: dict[int, Booking] = field(default_factory=dict)
    accounts: dict[int, LoyaltyAccount] = field(default_factory=dict)
    entries: list[LedgerEntry] = field(default_factory=list)
    levels: list[LoyaltyLevel] = field(default_factory=lambda: list(DEFAULT_LEVELS))
    events: dict[int, WebhookEvent] = field(default_factory=dict)
    runs: dict[int, SyncRun] = field(default_factory=dict)
    quarantined: dict[tuple[int, int], QuarantinedRecord] = field(default_factory=dict)
    # Keys (company, record) whose write the "database" refuses, as PostgreSQL refuses a
    # value it cannot store: tests of the per-record quarantine.
    refuse: set[tuple[int, int]] = field(default_factory=set)
    redemptions: dict[int, Redemption] = field(default_factory=dict)
    app_state: dict[str, str] = field(default_factory=dict)
    lot_expiries: dict[int, tuple[int, int]] = field(default_factory=dict)  # lot → entry, user
    lot_reminders: dict[int, int] = field(default_factory=dict)  # lot → user
    codes: dict[int, VerificationCode] = field(default_factory=dict)
    salons: dict[int, Salon] = field(default_factory=dict)  # by company id
    once_keys: dict[tuple[int, str], OnceKey] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        return next(self.ids)


def _page(items: list, limit: int, offset: int) -> Page:  # type: ignore[type-arg]
    return Page(items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset)


class FakeUsers:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, user: NewUser) -> User:
        if any(u.email.lower() == user.email.lower() for u in self.s.users.values()):
            raise DuplicateEmail(f"a user with email {user.email} already exists")
        new = User(id=self.s.next_id(), created_at=datetime.now(UTC), **asdict(user))
        self.s.users[new.id] = new
        return copy.copy(new)

    async def get(self, user_id: int) -> User | None:
        u = self.s.users.get(user_id)
        return copy.copy(u) if u else None

    async def get_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next(
            (copy.copy(u) for u in self.s.users.values() if u.email.lower() == wanted), None
        )

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.s.users[user_id].password_hash = password_hash

    async def set_unique_code(self, user_id: int, code: str) -> bool:
        if any(u.unique_code == code for u in self.s.users.values() if u.id != user_id):
            return False
        user = self.s.users[user_id]
        if user.unique_code is None:
            user.unique_code = code
        return True

    async def ids_without_code(self, limit: int) -> list[int]:
        return sorted(u.id for u in self.s.users.values() if u.unique_code is None)[:limit]

    async def find_by_codes(self, codes: Collection[str]) -> dict[str, int]:
        wanted = set(codes)
        return {u.unique_code: u.id for u in self.s.users.values() if u.unique_code in wanted}

    async def find_by_emails(self, emails: Collection[str]) -> dict[str, list[int]]:
        return self._group({e.lower() for e in emails}, lambda u: u.email.lower())

    async def find_by_phone_keys(self, keys: Collection[str]) -> dict[str, list[int]]:
        return self._group(set(keys), lambda u: u.phone_key)

    async def find_contacts(
        self,
        codes: Collection[str],
        emails: Collection[str],
        phone_keys: Collection[str],
        verified_only: bool = False,
    ) -> ContactMatches:
        wanted = set(codes)
        return ContactMatches(
            {u.unique_code: u.id for u in self.s.users.values() if u.unique_code in wanted},
            self._group(
                {e.lower() for e in emails},
                lambda u: u.email.lower() if u.email_verified_at or not verified_only else None,
            ),
            self._group(
                set(phone_keys),
                lambda u: u.phone_key if u.phone_verified_at or not verified_only else None,
            ),
        )

    async def search(self, query: MemberQuery) -> Page[MemberSummary]:
        text = query.text.lower()

        def hit(u: User) -> bool:
            if query.clients_only and u.role is Role.ADMIN:
                return False
            fields = (u.email, u.name, u.unique_code, u.phone_key)
            return not text or any(text in f.lower() for f in fields if f)

        def last_visit(user_id: int) -> datetime | None:
            visits = [
                b.appointment_at for b in self.s.bookings.values()
                if b.user_id == user_id and b.status is BookingStatus.COMPLETED
            ]  # fmt: skip
            return max(visits, default=None)

        found = sorted((u for u in self.s.users.values() if hit(u)), key=lambda u: -u.id)
        items = []
        for u in found:
            account = self.s.accounts.get(u.id)
            items.append(
                MemberSummary(
                    copy.copy(u),
                    account.balance if account else Decimal(0),
                    account.completed_spend if account else Decimal(0),
                    last_visit(u.id),
                )
            )
        return _page(items, query.limit, query.offset)

    async def lock_admin_ids(self) -> list[int]:
        return sorted(u.id for u in self.s.users.values() if u.role is Role.ADMIN)

    async def set_role(self, user_id: int, role: Role) -> None:
        self.s.users[user_id].role = role

    async def trust_contacts(
        self, at: datetime, registered_before: datetime
    ) -> tuple[int, int, int, int]:
        users = list(self.s.users.values())
        holders: dict[str, list[User]] = {}
        for u in users:
            if u.phone_key:
                holders.setdefault(u.phone_key, []).append(u)
        shared = {
            k for k, us in holders.items() if len(us) > 1 or any(u.phone_verified_at for u in us)
        }
        emails = phones = skipped = 0
        for u in users:
            if u.created_at is None or u.created_at >= registered_before:
                continue
            if u.email_verified_at is None:
                u.email_verified_at, emails = at, emails + 1
            if u.phone_key and u.phone_verified_at is None:
                if u.phone_key in shared:
                    skipped += 1
                else:
                    u.phone_verified_at, phones = at, phones + 1
        return emails, phones, skipped, len(shared)

    async def lock(self, user_id: int) -> User | None:
        return await self.get(user_id)

    async def set_phone(self, user_id: int, phone: str, phone_key: str) -> None:
        user = self.s.users[user_id]
        user.phone, user.phone_key, user.phone_verified_at = phone, phone_key, None

    async def mark_verified(self, user_id: int, purpose: Purpose, at: datetime) -> None:
        # The partial unique indexes: one member at a time holds a verified contact.
        user = self.s.users[user_id]
        for other in self.s.users.values():
            if other.id == user_id:
                continue
            same_email = other.email.lower() == user.email.lower()
            if purpose is Purpose.EMAIL and other.email_verified_at is not None and same_email:
                raise ContactTaken("email: already verified by another member")
            same_phone = other.phone_key == user.phone_key
            if purpose is Purpose.PHONE and other.phone_verified_at is not None and same_phone:
                raise ContactTaken("phone: already verified by another member")
        if purpose is Purpose.EMAIL:
            user.email_verified_at = at
        else:
            user.phone_verified_at = at

    def _group(self, wanted: set[str], attr) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
        out: dict[str, list[int]] = {}
        for u in sorted(self.s.users.values(), key=lambda u: u.id):
            if attr(u) in wanted:
                out.setdefault(attr(u), []).append(u.id)
        return out


class FakeBookings:
    def __init__(self, store: Store) -> None:
        self.s = store

    def _by_key(self, key: BookingKey) -> Booking | None:
        return next((b for b in self.s.bookings.values() if b.key == key), None)

    async def get(self, booking_id: int) -> Booking | None:
        b = self.s.bookings.get(booking_id)
        return b.copy() if b else None

    async def get_many(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        wanted = set(keys)
        return {b.key: b.copy() for b in self.s.bookings.values() if b.key in wanted}

    async def get_versions(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        wanted = set(keys)
        found = {b.key: b.copy() for b in self.s.bookings.values() if b.key in wanted}
        for b in found.values():  # what the SQL repository leaves out
            b.services, b.staff_name, b.client_name = (), None, None
        return found

    async def upsert_many(self, bookings: Sequence[Booking]) -> dict[BookingKey, int]:
        return self._upsert(bookings)

    async def upsert_and_lock(
        self, bookings: Sequence[Booking], want: Collection[BookingKey] | None = None
    ) -> dict[BookingKey, Booking]:
        ids = self._upsert(bookings)
        return {
            key: self.s.bookings[i].copy() for key, i in ids.items() if want is None or key in want
        }

    def _upsert(self, bookings: Sequence[Booking]) -> dict[BookingKey, int]:
        if any(tuple(b.key) in self.s.refuse for b in bookings):
            raise WriteRejected("the database refused the write: a value was refused (test)")
        ids: dict[BookingKey, int] = {}
        for incoming in bookings:
            stored = self._by_key(incoming.key)
            if stored is None:
                new = replace(
                    incoming, id=self.s.next_id(), bonus_points=Decimal("0.00"),
                    bonus_percent=None, bonus_basis=Decimal("0.00"), ledger_step=0,
                )  # fmt: skip
                self.s.bookings[new.id] = new
                ids[new.key] = new.id  # type: ignore[assignment]
                continue
            assert stored.id is not None
            ids[stored.key] = stored.id
            # The version-order rule; a same-time version may still link an unlinked row.
            fresher = supersedes(incoming, stored) or (
                incoming.last_change_at == stored.last_change_at and stored.user_id is None
            )
            if not fresher:
                continue
            for name in _DATA_FIELDS:
                setattr(stored, name, getattr(incoming, name))
            if stored.user_id is None:
                stored.user_id = incoming.user_id
                stored.match_method = incoming.match_method
                stored.unmatched_reason = incoming.unmatched_reason
        return ids

    async def lock_many(self, ids: Collection[int]) -> list[Booking]:
        return [self.s.bookings[i].copy() for i in sorted(set(ids)) if i in self.s.bookings]

    async def save_loyalty(self, bookings: Sequence[Booking]) -> None:
        for b in bookings:
            stored = self.s.bookings[b.id]  # type: ignore[index]
            stored.bonus_points = b.bonus_points
            stored.bonus_percent = b.bonus_percent
            stored.bonus_basis = b.bonus_basis
            stored.ledger_step = b.ledger_step

    async def relink(self, booking_id: int, user_id: int, method: MatchMethod) -> None:
        b = self.s.bookings[booking_id]
        b.user_id, b.match_method, b.unmatched_reason = user_id, method, None

    async def mark_deleted(self, key: BookingKey, at: datetime) -> int | None:
        b = self._by_key(key)
        if b is None or b.last_change_at > at + DELETE_CLOCK_SKEW:
            return None
        b.deleted, b.status = True, BookingStatus.CANCELLED
        b.last_change_at = max(b.last_change_at, at)
        return b.id

    async def query(self, q: BookingQuery) -> Page[Booking]:
        rows = [
            b for b in self.s.bookings.values()
            if (q.user_id is None or b.user_id == q.user_id)
            and (q.statuses is None or b.status in q.statuses)
            and (q.starts_from is None or b.appointment_at >= q.starts_from)
            and (not q.unmatched_only or b.user_id is None)
        ]  # fmt: skip
        if q.starts_from is not None:
            rows.sort(key=lambda b: (b.appointment_at, b.id))
        else:
            rows.sort(key=lambda b: (b.appointment_at, b.id), reverse=True)
        return _page([b.copy() for b in rows], q.limit, q.offset)

    async def lock_unmatched_by_contact(
        self, email: str | None, phone_key_: str | None
    ) -> list[Booking]:
        return [
            copy.deepcopy(b)
            for b in sorted(self.s.bookings.values(), key=lambda b: b.id or 0)
            if b.user_id is None
            and (
                (email is not None and normalize_email(b.client_email) == email)
                or (phone_key_ is not None and phone_key(b.client_phone) == phone_key_)
            )
        ]

    async def points_candidates(self, after_id: int, limit: int) -> list[int]:
        ids = sorted(
            i for i, b in self.s.bookings.items() if i > after_id and b.user_id is not None
        )  # every linked booking: a superset, as the port allows
        return ids[:limit]


_DATA_FIELDS = (
    "status", "appointment_at", "last_change_at", "price", "services", "staff_name",
    "client_name", "client_phone", "client_email", "comment", "deleted",
)  # fmt: skip


class FakeAppState:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def get(self, name: str) -> str | None:
        return self.s.app_state.get(name)

    async def put(self, name: str, value: str, at: datetime) -> None:
        self.s.app_state[name] = value


class FakeOnceKeys:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def claim(self, key: OnceKey) -> bool:
        if (key.actor_id, key.key) in self.s.once_keys:
            return False
        self.s.once_keys[key.actor_id, key.key] = copy.copy(key)
        return True

    async def get(self, actor_id: int, key: str) -> OnceKey | None:
        found = self.s.once_keys.get((actor_id, key))
        return copy.copy(found) if found else None

    async def finish(self, actor_id: int, key: str, result: str) -> None:
        self.s.once_keys[actor_id, key].result = result

    async def forget(self, actor_id: int, key: str) -> None:
        self.s.once_keys.pop((actor_id, key), None)

    async def purge(self, before: datetime) -> int:
        old = [k for k, v in self.s.once_keys.items() if v.created_at < before]
        for k in old:
            del self.s.once_keys[k]
        return len(old)


class FakeExpiry:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def candidate_users(
        self, credited_before: datetime, after_user_id: int, limit: int
    ) -> list[int]:
        users = {
            e.user_id
            for e in self.s.entries
            if e.user_id > after_user_id
            and e.amount > 0
            and e.kind.value in ("ACCRUAL", "ADJUSTMENT")
            and e.created_at <= credited_before
            and e.id not in self.s.lot_expiries
        }
        return sorted(users)[:limit]

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        return sorted((e for e in self.s.entries if e.user_id == user_id), key=lambda e: e.id or 0)

    async def expired_lots(self, user_id: int) -> dict[int, int]:
        return {entry: lot for lot, (entry, uid) in self.s.lot_expiries.items() if uid == user_id}

    async def record_expiry(
        self, lot_entry_id: int, entry_id: int, user_id: int, points: Decimal, at: datetime
    ) -> None:
        if lot_entry_id in self.s.lot_expiries:
            raise ConcurrentUpdate(f"lot {lot_entry_id} expired twice")
        self.s.lot_expiries[lot_entry_id] = (entry_id, user_id)

    async def reminded_lots(self, user_id: int) -> set[int]:
        return {lot for lot, uid in self.s.lot_reminders.items() if uid == user_id}

    async def record_reminder(
        self, lot_entry_id: int, user_id: int, expires_at: datetime, at: datetime
    ) -> bool:
        if lot_entry_id in self.s.lot_reminders:
            return False
        self.s.lot_reminders[lot_entry_id] = user_id
        return True


class FakeExpiryReminders:
    def __init__(self) -> None:
        self.sent: list[tuple[int, Decimal, datetime]] = []

    async def points_expiring(self, user_id: int, points: Decimal, expires_at: datetime) -> None:
        self.sent.append((user_id, points, expires_at))


class FakeLedger:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def lock_accounts(self, user_ids: Collection[int]) -> dict[int, LoyaltyAccount]:
        out = {}
        for uid in sorted(set(user_ids)):
            acc = self.s.accounts.setdefault(uid, LoyaltyAccount(user_id=uid))
            out[uid] = copy.copy(acc)
        return out

    async def save_accounts(self, accounts: Collection[LoyaltyAccount]) -> None:
        for acc in accounts:
            self.s.accounts[acc.user_id] = copy.copy(acc)

    async def get_account(self, user_id: int) -> LoyaltyAccount:
        return copy.copy(self.s.accounts.get(user_id, LoyaltyAccount(user_id=user_id)))

    async def append(self, entries: Sequence[LedgerEntry]) -> None:
        taken = {(e.booking_id, e.step) for e in self.s.entries if e.booking_id is not None}
        for e in entries:
            if e.booking_id is not None and (e.booking_id, e.step) in taken:
                raise ConcurrentUpdate(f"ledger step {(e.booking_id, e.step)} written twice")
            taken.add((e.booking_id, e.step))
            self.s.entries.append(replace(e, id=self.s.next_id()))

    async def add(self, entry: LedgerEntry) -> LedgerEntry:
        if entry.redemption_id is not None and any(
            (e.redemption_id, e.kind) == (entry.redemption_id, entry.kind) for e in self.s.entries
        ):
            raise ConcurrentUpdate(f"{entry.kind} of redemption {entry.redemption_id} twice")
        await self.append([entry])
        return self.s.entries[-1]

    async def entries(self, user_id: int, limit: int, offset: int) -> Page[LedgerEntry]:
        rows = sorted(
            (e for e in self.s.entries if e.user_id == user_id),
            key=lambda e: (e.created_at, e.id or 0), reverse=True,
        )  # fmt: skip
        return _page(rows, limit, offset)


class FakeRedemptions:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, redemption: Redemption) -> Redemption:
        if redemption.state is RedemptionState.HELD and any(
            r.booking_id == redemption.booking_id and r.state is RedemptionState.HELD
            for r in self.s.redemptions.values()
        ):
            raise ConcurrentUpdate(f"booking {redemption.booking_id} already has a hold")
        stored = replace(redemption, id=self.s.next_id())
        self.s.redemptions[stored.id] = stored  # type: ignore[index]
        return replace(stored)

    async def get(self, redemption_id: int) -> Redemption | None:
        r = self.s.redemptions.get(redemption_id)
        return replace(r) if r else None

    async def lock(self, redemption_id: int) -> Redemption | None:
        return await self.get(redemption_id)

    async def lock_held(self, booking_ids: Collection[int]) -> list[Redemption]:
        wanted = set(booking_ids)
        return [
            replace(r)
            for _, r in sorted(self.s.redemptions.items())
            if r.booking_id in wanted and r.state is RedemptionState.HELD
        ]

    async def lock_active(self, booking_ids: Collection[int]) -> list[Redemption]:
        wanted = set(booking_ids)
        return [
            replace(r)
            for _, r in sorted(self.s.redemptions.items())
            if r.booking_id in wanted and r.state in ACTIVE_STATES
        ]

    async def redeemed_on(self, booking_id: int) -> Decimal:
        return sum(
            (r.points for r in self.s.redemptions.values()
             if r.booking_id == booking_id and r.state is RedemptionState.REDEEMED),
            Decimal(0),
        )  # fmt: skip

    async def save(self, redemptions: Sequence[Redemption]) -> None:
        for r in redemptions:
            self.s.redemptions[r.id] = replace(r)  # type: ignore[index]

    async def held_points(self, booking_ids: Collection[int]) -> dict[int, Decimal]:
        wanted = set(booking_ids)
        return {
            r.booking_id: r.points
            for r in self.s.redemptions.values()
            if r.booking_id in wanted and r.state is RedemptionState.HELD
        }

    async def query(self, user_id: int, limit: int, offset: int) -> Page[Redemption]:
        rows = sorted(
            (replace(r) for r in self.s.redemptions.values() if r.user_id == user_id),
            key=lambda r: (r.created_at, r.id or 0), reverse=True,
        )  # fmt: skip
        return _page(rows, limit, offset)

    async def for_visits(
        self, state: RedemptionState, start: datetime, end: datetime
    ) -> list[Redemption]:
        found = [
            (b.appointment_at, r.id or 0, r)
            for r in self.s.redemptions.values()
            if r.state is state
            and (b := self.s.bookings.get(r.booking_id or 0)) is not None
            and start <= b.appointment_at < end
        ]
        return [replace(r) for _, _, r in sorted(found, key=lambda t: t[:2])]


class FakeLevels:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def all(self) -> list[LoyaltyLevel]:
        return sorted(self.s.levels, key=lambda lv: lv.min_spend)

    async def replace(self, levels: Sequence[LoyaltyLevel]) -> None:
        self.s.levels = list(levels)


class FakeInbox:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, event: WebhookEvent) -> tuple[int, bool]:
        for e in self.s.events.values():
            if e.dedupe_key == event.dedupe_key:
                return e.id, False  # type: ignore[return-value]
        new = replace(event, id=self.s.next_id())
        self.s.events[new.id] = new  # type: ignore[index]
        return new.id, True  # type: ignore[return-value]

    async def add_many(self, events: Sequence[WebhookEvent]) -> list[tuple[int, bool]]:
        return [await self.add(e) for e in events]

    async def get(self, event_id: int) -> WebhookEvent | None:
        e = self.s.events.get(event_id)
        return copy.copy(e) if e else None

    async def save(self, event: WebhookEvent) -> None:
        self.s.events[event.id] = copy.copy(event)  # type: ignore[index]

    async def query(self, state: EventState | None, limit: int, offset: int) -> Page[WebhookEvent]:
        rows = [e for e in self.s.events.values() if state is None or e.state is state]
        rows.sort(key=lambda e: e.id or 0, reverse=True)
        return _page([copy.copy(e) for e in rows], limit, offset)

    async def pending_before(self, before: datetime, limit: int) -> list[int]:
        rows = [
            e.id for e in self.s.events.values()
            if e.state is EventState.PENDING and e.received_at < before
            and (e.attempted_at is None or e.attempted_at < before)
            and (e.retry_at is None or e.retry_at < before)
        ]  # fmt: skip
        return sorted(rows)[:limit]  # type: ignore[type-var]

    async def claim(
        self,
        limit: int,
        *,
        now: datetime,
        include: int | None = None,
        company_id: int | None = None,
        ids: Collection[int] | None = None,
    ) -> list[WebhookEvent]:
        # One process, one transaction at a time: nothing is ever locked by someone else.
        if include is not None:
            owner = self.s.events.get(include)
            if owner is None:
                return []
            company_id = owner.company_id
        rows = [
            e for e in self.s.events.values()
            if e.state is EventState.PENDING
            and (company_id is None or e.company_id == company_id)
            and (e.id == include or e.retry_at is None or e.retry_at <= now)
            and (ids is None or e.id in ids)
        ]  # fmt: skip
        rows.sort(key=lambda e: (e.id != include, e.id))
        return [copy.copy(e) for e in rows[:limit]]

    async def mark_processed(self, ids: Collection[int], at: datetime) -> None:
        for i in ids:
            e = self.s.events[i]
            e.state, e.attempts, e.last_error = EventState.PROCESSED, e.attempts + 1, None
            e.processed_at = e.attempted_at = at
            e.retry_at = None


class FakeQuarantine:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add_many(self, records: Sequence[QuarantinedRecord]) -> None:
        for r in records:
            key = (r.company_id, r.record_id)
            old = self.s.quarantined.get(key)
            self.s.quarantined[key] = replace(r, id=old.id if old else self.s.next_id())

    async def query(
        self, company_id: int | None, limit: int, offset: int
    ) -> Page[QuarantinedRecord]:
        rows = [
            copy.copy(r) for r in self.s.quarantined.values()
            if company_id is None or r.company_id == company_id
        ]  # fmt: skip
        rows.sort(key=lambda r: (r.quarantined_at, r.id or 0), reverse=True)
        return _page(rows, limit, offset)


class FakeSyncRuns:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, run: SyncRun) -> SyncRun:
        new = replace(run, id=self.s.next_id(), counts=copy.copy(run.counts))
        self.s.runs[new.id] = new  # type: ignore[index]
        return copy.copy(new)

    async def save(self, run: SyncRun) -> None:
        self.s.runs[run.id] = replace(run, counts=copy.copy(run.counts))  # type: ignore[index]

    async def save_if(
        self, run: SyncRun, expected: RunStatus, stale_before: datetime | None = None
    ) -> bool:
        current = self.s.runs.get(run.id)  # type: ignore[arg-type]
        if current is None or current.status is not expected:
            return False
        if stale_before is not None and not current.last_seen() < stale_before:
            return False
        await self.save(run)
        return True

    async def heartbeat(self, run_id: int, at: datetime) -> None:
        current = self.s.runs.get(run_id)
        if current is not None and current.status is RunStatus.RUNNING:
            current.heartbeat_at = at

    async def lost(self, stale_before: datetime, limit: int) -> list[SyncRun]:
        rows = sorted(
            (r for r in self.s.runs.values() if r.is_lost(stale_before)), key=lambda r: r.id or 0
        )
        return [replace(r, counts=copy.copy(r.counts)) for r in rows[:limit]]

    async def get(self, run_id: int) -> SyncRun | None:
        r = self.s.runs.get(run_id)
        return replace(r, counts=copy.copy(r.counts)) if r else None

    async def last_succeeded(self, company_id: int, kind: str | None = None) -> SyncRun | None:
        rows = [
            r for r in self.s.runs.values()
            if r.company_id == company_id and r.status is RunStatus.SUCCEEDED
            and (kind is None or r.kind == kind)
        ]  # fmt: skip
        last = max(rows, key=lambda r: r.started_at, default=None)
        return replace(last, counts=copy.copy(last.counts)) if last else None

    async def query(self, company_id: int | None, limit: int, offset: int) -> Page[SyncRun]:
        rows = [r for r in self.s.runs.values() if company_id is None or r.company_id == company_id]
        rows.sort(key=lambda r: r.id or 0, reverse=True)
        return _page([replace(r, counts=copy.copy(r.counts)) for r in rows], limit, offset)


class FakeVerificationCodes:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, code: VerificationCode) -> VerificationCode:
        stored = replace(code, id=self.s.next_id())
        self.s.codes[stored.id] = stored  # type: ignore[index]
        return copy.copy(stored)

    async def lock_latest(self, user_id: int, purpose: Purpose) -> VerificationCode | None:
        mine = [c for c in self.s.codes.values() if c.user_id == user_id and c.purpose is purpose]
        return copy.copy(max(mine, key=lambda c: c.id or 0)) if mine else None

    async def save(self, code: VerificationCode) -> None:
        stored = self.s.codes[code.id]  # type: ignore[index]
        stored.attempts, stored.consumed_at = code.attempts, code.consumed_at

    async def sent_since(
        self, since: datetime, user_id: int, contact: str
    ) -> list[VerificationCode]:
        return [
            copy.copy(c)
            for c in self.s.codes.values()
            if c.created_at >= since and (c.user_id == user_id or c.contact == contact)
        ]

    async def of_user_since(
        self, user_id: int, purpose: Purpose, since: datetime
    ) -> list[VerificationCode]:
        return [
            copy.copy(c)
            for c in self.s.codes.values()
            if c.user_id == user_id and c.purpose is purpose and c.created_at >= since
        ]

    async def delete_before(self, user_id: int, before: datetime) -> None:
        for key in [k for k, c in self.s.codes.items() if c.user_id == user_id]:
            if self.s.codes[key].created_at < before:
                del self.s.codes[key]


class FakeSalons:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add_if_missing(self, salon: Salon) -> bool:
        if salon.company_id in self.s.salons:
            return False
        self.s.salons[salon.company_id] = replace(salon, id=self.s.next_id())
        return True

    async def get(self, company_id: int) -> Salon | None:
        salon = self.s.salons.get(company_id)
        return copy.copy(salon) if salon else None

    async def all(self) -> list[Salon]:
        return [copy.copy(self.s.salons[c]) for c in sorted(self.s.salons)]

    async def active_ids(self) -> list[int]:
        return sorted(c for c, salon in self.s.salons.items() if salon.active)

    async def save(self, salon: Salon) -> bool:
        old = self.s.salons.get(salon.company_id)
        if old is None:
            return False
        self.s.salons[salon.company_id] = replace(
            salon, id=old.id, created_at=old.created_at,
            next_sync_at=old.next_sync_at, sync_failures=old.sync_failures,
        )  # fmt: skip
        return True

    async def claim_due(self, now: datetime, interval: timedelta) -> list[int]:
        due = []
        for cid, salon in self.s.salons.items():
            if salon.active and (salon.next_sync_at is None or salon.next_sync_at <= now):
                if salon.next_sync_at is not None:
                    due.append(cid)
                salon.next_sync_at = next_slot(salon.id or 0, now, interval)
        return sorted(due)

    async def sync_failed(self, company_id: int) -> int:
        salon = self.s.salons.get(company_id)
        if salon is None:
            return 0
        salon.sync_failures += 1
        return salon.sync_failures

    async def defer_sync(self, company_id: int, until: datetime) -> None:
        salon = self.s.salons.get(company_id)
        if salon is not None and (salon.next_sync_at is None or salon.next_sync_at < until):
            salon.next_sync_at = until

    async def sync_succeeded(self, company_id: int) -> None:
        if company_id in self.s.salons:
            self.s.salons[company_id].sync_failures = 0

    async def release_held(self, company_ids: list[int] | None, at: datetime) -> dict[int, int]:
        wanted = set(company_ids) if company_ids is not None else set(await self.active_ids())
        released: dict[int, int] = {}
        for e in self.s.events.values():
            if e.state is EventState.HELD and e.company_id in wanted:
                e.state, e.attempted_at = EventState.PENDING, at
                released[e.company_id] = released.get(e.company_id, 0) + 1
        return released

    async def activity(self, since: datetime) -> list[SalonActivity]:
        found: dict[int, dict[str, object]] = {}
        for e in self.s.events.values():
            row = found.setdefault(e.company_id, {})
            if e.received_at >= since:
                row["webhooks_since"] = int(row.get("webhooks_since", 0)) + 1  # type: ignore[call-overload]
            if e.state is EventState.HELD:
                row["held"] = int(row.get("held", 0)) + 1  # type: ignore[call-overload]
        for r in sorted(self.s.runs.values(), key=lambda r: r.id or 0):
            if r.finished_at is None:
                continue
            row = found.setdefault(r.company_id, {})
            row["last_sync_status"] = r.status.value
            row["last_run_kind"], row["last_run_requests"] = r.kind, r.counts.requests
            if r.status is RunStatus.SUCCEEDED:
                last = row.get("last_sync_at")
                if last is None or r.finished_at > last:  # type: ignore[operator]
                    row["last_sync_at"] = r.finished_at
        return [SalonActivity(cid, **found[cid]) for cid in sorted(found)]  # type: ignore[arg-type]


class FakeUnitOfWork:
    """Works on the shared store; rollback (the default) restores the snapshot taken on enter."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.users = FakeUsers(store)
        self.bookings = FakeBookings(store)
        self.ledger = FakeLedger(store)
        self.levels = FakeLevels(store)
        self.redemptions = FakeRedemptions(store)
        self.inbox = FakeInbox(store)
        self.sync_runs = FakeSyncRuns(store)
        self.quarantine = FakeQuarantine(store)
        self.app_state = FakeAppState(store)
        self.expiry = FakeExpiry(store)
        self.verification_codes = FakeVerificationCodes(store)
        self.salons = FakeSalons(store)
        self.once_keys = FakeOnceKeys(store)
        self.committed = False
        self._snapshot: dict[str, object] | None = None

    async def __aenter__(self) -> Self:
        fields = (
            "users", "bookings", "accounts", "entries", "levels", "events", "runs", "quarantined",
            "redemptions", "app_state", "lot_expiries", "lot_reminders", "codes", "salons",
            "once_keys",
        )  # fmt: skip
        self._snapshot = {name: copy.deepcopy(getattr(self.store, name)) for name in fields}
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Like a database, work done after the last commit is rolled back too.
        if not self.committed or self._changed_since_commit():
            await self.rollback()

    def _changed_since_commit(self) -> bool:
        return any(getattr(self.store, n) != v for n, v in (self._snapshot or {}).items())

    async def commit(self) -> None:
        self.committed = True
        self._snapshot = {
            name: copy.deepcopy(getattr(self.store, name)) for name in self._snapshot or {}
        }

    async def rollback(self) -> None:
        for name, value in (self._snapshot or {}).items():
            setattr(self.store, name, copy.deepcopy(value))


class FakeUnitOfWorkFactory:
    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


class FakeGateway:
    """Serves records from memory in pages, like the YClients list endpoint."""

    def __init__(self, page_size: int = 200) -> None:
        self.records: dict[BookingKey, YClientsRecord] = {}
        self.page_size = page_size
        self.requests = 0
        self.fail_with: Exception | None = None
        self.priorities: list[Priority] = []  # of every call, in order
        self.changed_after: list[datetime | None] = []  # of every `record_pages` call

    def put(self, *records: YClientsRecord) -> None:
        for r in records:
            self.records[BookingKey(r.company_id, r.record_id)] = r

    async def record_pages(
        self,
        company_id: int,
        start: date,
        end: date,
        changed_after: datetime | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[RecordPage]:
        self.priorities.append(priority)
        self.changed_after.append(changed_after)
        rows = sorted(
            (r for k, r in self.records.items()
             if k.company_id == company_id and start <= r.appointment_at.date() <= end
             and (changed_after is None or r.last_change_at > changed_after)),
            key=lambda r: r.record_id,
        )  # fmt: skip
        for i in range(0, len(rows), self.page_size):
            self.requests += 1
            if self.fail_with is not None:
                raise self.fail_with
            yield RecordPage(records=rows[i : i + self.page_size])

    async def get_record(
        self, company_id: int, record_id: int, *, priority: Priority = Priority.INTERACTIVE
    ) -> YClientsRecord | None:
        self.priorities.append(priority)
        self.requests += 1
        return self.records.get(BookingKey(company_id, record_id))


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class FakeCodes:
    """Hands out codes from a script, then from a counter: collisions are easy to stage."""

    def __init__(self, *scripted: str) -> None:
        self.scripted = list(scripted)
        self.counter = itertools.count(1)

    def __call__(self) -> str:
        if self.scripted:
            return self.scripted.pop(0)
        n = next(self.counter)
        alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
        out = ""
        for _ in range(8):
            n, r = divmod(n, len(alphabet))
            out += alphabet[r]
        return out


class FakeHasher:
    def __init__(self) -> None:
        self.verified: list[str] = []  # the hashes checked, dummy ones included

    async def hash(self, password: str) -> str:
        return "plain$" + password

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash == "plain$" + password


class FakeQueue:
    def __init__(self) -> None:
        self.events: list[int] = []  # events whose retry was kicked
        self.retry_at: list[datetime | None] = []  # ... and when
        self.drains: list[int] = []  # companies whose inbox drain was kicked
        self.syncs: list[tuple[int, str, int | None]] = []
        self.gate = FakeDrainGate()

    async def retry_event(self, event_id: int, at: datetime | None = None) -> None:
        self.events.append(event_id)
        self.retry_at.append(at)

    async def kick_drain(self, company_id: int) -> None:
        self.drains.append(company_id)

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        self.syncs.append((company_id, trigger, run_id))


class FakeDrainGate:
    def __init__(self) -> None:
        self.marked: set[int] = set()
        self.cleared: list[int] = []

    async def mark(self, company_ids: Sequence[int]) -> list[bool]:
        fresh = [c not in self.marked for c in company_ids]
        self.marked.update(company_ids)
        return fresh

    async def clear(self, company_id: int) -> None:
        self.marked.discard(company_id)
        self.cleared.append(company_id)


class FakeSyncLock:
    def __init__(self) -> None:
        self.held: set[int] = set()

    @asynccontextmanager
    async def hold(self, company_id: int):  # type: ignore[no-untyped-def]
        if company_id in self.held:
            yield False
            return
        self.held.add(company_id)
        try:
            yield True
        finally:
            self.held.discard(company_id)


class FakeDecoder:
    """Decodes bodies made by `encode`: JSON envelope, record kept aside by body."""

    def __init__(self) -> None:
        self.records: dict[bytes, YClientsRecord | None] = {}

    def encode(
        self,
        record: YClientsRecord | None,
        status: str = "update",
        *,
        company_id: int = 873456,
        resource: str = "record",
        resource_id: int | None = None,
    ) -> bytes:
        import json

        rid = resource_id if resource_id is not None else (record.record_id if record else 0)
        body = json.dumps(
            {
                "company_id": company_id,
                "resource": resource,
                "resource_id": rid,
                "status": status,
                "v": record.last_change_at.isoformat() if record else None,
                "deleted": record.deleted if record else None,
            }
        ).encode()
        self.records[body] = record
        return body

    def envelope(self, body: bytes):  # type: ignore[no-untyped-def]
        import json

        from src.application.errors import MalformedPayload, ValidationFailed
        from src.application.ports import WebhookNotice

        try:
            data = json.loads(body)
        except ValueError as exc:
            raise MalformedPayload(f"body is not valid JSON: {exc}") from exc
        missing = [k for k in ("company_id", "resource", "resource_id", "status") if k not in data]
        if missing:
            raise ValidationFailed(f"missing required fields: {', '.join(missing)}")
        return WebhookNotice(
            data["company_id"], data["resource"], data["resource_id"], data["status"]
        )

    def record(self, body: bytes) -> YClientsRecord | None:
        return self.records.get(body)


class FakeNotifier:
    """Records every message; `codes` is what a member would read."""

    def __init__(self) -> None:
        self.emails: list[tuple[str, str, str, str | None]] = []
        self.sms: list[tuple[str, str, str | None]] = []

    async def send_email(self, to: str, subject: str, text: str, code: str | None = None) -> None:
        self.emails.append((to, subject, text, code))

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None:
        self.sms.append((to, text, code))
