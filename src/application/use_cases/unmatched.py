"""The desk's unmatched bookings: the to-do page with the members each booking's contacts
point at, "not a member" marks per client, and the undo of a manual link."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from src.application.errors import Conflict, NotFound, ValidationFailed
from src.application.ports.bookings import BookingQuery, BookingRepository
from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.ports.users import UserRepository
from src.application.switches import Switches
from src.application.use_cases.resolve import ResolveUser
from src.domain.booking import Booking, BookingStatus, MatchMethod
from src.domain.client_codes import extract_code
from src.domain.contacts import normalize_email, phone_key
from src.domain.dismissed import ClientKey, DismissedClient, client_key
from src.domain.user import Role, User

MAX_SUGGESTIONS = 5  # per booking: a phone many members share is not worth a long list


class Hint(enum.StrEnum):
    """Why a member is suggested for a booking that linked nobody."""

    CODE = "code"  # the booking's client code is theirs
    PHONE_UNVERIFIED = "phone_unverified"  # the phone matches, but they have not verified it
    EMAIL_UNVERIFIED = "email_unverified"
    PHONE_SHARED = "phone_shared"  # verified, but other members have the same phone
    EMAIL_SHARED = "email_shared"
    PHONE = "phone"  # matches (linking found it unusable when the booking was stored)
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Suggestion:
    user: User
    hint: Hint


@dataclass(frozen=True, slots=True)
class UnmatchedPage:
    """A page of the to-do list: the bookings, the members suggested for each (by booking
    id) and the client each booking's "not a member" mark would remember (None: it has no
    phone or email to remember them by)."""

    bookings: Page[Booking]
    suggestions: dict[int, list[Suggestion]] = field(default_factory=dict)
    clients: dict[int, ClientKey | None] = field(default_factory=dict)


async def suggest(
    users: UserRepository, bookings: Sequence[Booking], region: str
) -> dict[int, list[Suggestion]]:
    """Members each booking's code, phone or email belongs to, whether or not they verified
    it, for all the bookings in two queries (the contacts, then the members found)."""
    contacts = {
        b.id: (extract_code(b.comment), phone_key(b.client_phone, region),
               normalize_email(b.client_email))
        for b in bookings if b.id is not None
    }  # fmt: skip
    codes = {c for c, _, _ in contacts.values() if c}
    phones = {p for _, p, _ in contacts.values() if p}
    emails = {e for _, _, e in contacts.values() if e}
    if not (codes or phones or emails):
        return {i: [] for i in contacts}
    found = await users.find_contacts(codes, emails, phones, verified_only=False)
    ids = set(found.by_code.values())
    ids.update(i for group in (found.by_phone, found.by_email) for v in group.values() for i in v)
    members = await users.get_many(ids) if ids else {}

    out: dict[int, list[Suggestion]] = {}
    for booking_id, (code, phone, email) in contacts.items():
        hints: list[tuple[int, Hint]] = []
        if code and code in found.by_code:
            hints.append((found.by_code[code], Hint.CODE))
        for value, index, kind in ((phone, found.by_phone, "phone"),
                                   (email, found.by_email, "email")):  # fmt: skip
            holders = index.get(value or "", [])
            for user_id in holders:
                hints.append((user_id, _hint(members.get(user_id), kind, len(holders))))
        picked: dict[int, Suggestion] = {}
        for user_id, hint in hints:
            user = members.get(user_id)
            if user is not None and user.role is not Role.ADMIN and user_id not in picked:
                picked[user_id] = Suggestion(user, hint)
        out[booking_id] = list(picked.values())[:MAX_SUGGESTIONS]
    return out


def _hint(user: User | None, kind: str, holders: int) -> Hint:
    verified = user is not None and (
        user.phone_verified if kind == "phone" else user.email_verified
    )
    if not verified:
        return Hint(f"{kind}_unverified")
    return Hint(f"{kind}_shared") if holders > 1 else Hint(kind)


@dataclass(frozen=True, slots=True)
class UnmatchedToDo:
    """The console's unmatched list: a page of unmatched bookings with every card's
    suggested members, computed for the whole page at once (not one search per card)."""

    uow_factory: UnitOfWorkFactory
    switches: Switches

    async def __call__(
        self,
        limit: int = 20,
        offset: int = 0,
        *,
        statuses: frozenset[BookingStatus] | None = None,
        starts_from: datetime | None = None,
        hidden: bool = False,
    ) -> UnmatchedPage:
        """Unmatched bookings, newest first; with `starts_from`, from then on, nearest first
        (today and the next days); `statuses` narrows them; `hidden`: only the bookings of
        clients marked "not a member" (otherwise theirs are left out)."""
        async with self.uow_factory() as uow:
            page = await uow.bookings.query(
                BookingQuery(
                    unmatched_only=True, statuses=statuses, starts_from=starts_from,
                    dismissed=hidden, limit=limit, offset=offset,
                )
            )  # fmt: skip
            return await self._cards(uow, page)

    async def one(self, booking_id: int) -> UnmatchedPage:
        """One booking's card (after an undo puts it back on the list), as the page has it."""
        async with self.uow_factory() as uow:
            booking = await uow.bookings.get(booking_id)
            if booking is None:
                raise NotFound(f"booking {booking_id} does not exist")
            return await self._cards(uow, Page(items=[booking], total=1, limit=1, offset=0))

    async def _cards(self, uow: UnitOfWork, page: Page[Booking]) -> UnmatchedPage:
        """The page's cards, in the page's own transaction (one read per page)."""
        region = self.switches.phone_region
        suggestions = await suggest(uow.users, page.items, region)
        clients = {
            b.id: client_key(b.client_phone, b.client_email, region)
            for b in page.items
            if b.id is not None
        }
        return UnmatchedPage(page, suggestions, clients)


async def _client_of(bookings: BookingRepository, booking_id: int, region: str) -> ClientKey:
    booking = await bookings.get(booking_id)
    if booking is None:
        raise NotFound(f"booking {booking_id} does not exist")
    key = client_key(booking.client_phone, booking.client_email, region)
    if key is None:
        raise ValidationFailed(f"booking {booking_id} has no client phone or email to go by")
    return key


@dataclass(frozen=True, slots=True)
class DismissClient:
    """Staff: "not a member" on a booking: its client (by phone, else email; see
    src/domain/dismissed.py) is remembered, so their other and future unmatched bookings
    leave the to-do list too."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    switches: Switches

    async def __call__(self, booking_id: int, admin_id: int) -> ClientKey:
        async with self.uow_factory() as uow:
            key = await _client_of(uow.bookings, booking_id, self.switches.phone_region)
            await uow.dismissed_clients.add(DismissedClient(key, admin_id, self.clock.now()))
            await uow.commit()
        return key


@dataclass(frozen=True, slots=True)
class RestoreClient:
    """Staff: undo "not a member": the booking's client is forgotten, their unmatched
    bookings are back on the list."""

    uow_factory: UnitOfWorkFactory
    switches: Switches

    async def __call__(self, booking_id: int) -> ClientKey:
        async with self.uow_factory() as uow:
            key = await _client_of(uow.bookings, booking_id, self.switches.phone_region)
            await uow.dismissed_clients.remove(key)
            await uow.commit()
        return key


class UndoRefused(Conflict):
    """A manual link that can no longer simply be undone; `why`: "moved" (no longer this
    member's manual link), "settled" (points credited or spend counted) or "held" (the
    member holds or spent points on the visit)."""

    def __init__(self, message: str, why: str) -> None:
        super().__init__(message)
        self.why = why


@dataclass(frozen=True, slots=True)
class UndoLink:
    """Staff: undo a manual link (`LinkBookingManually`) while nothing was settled on it:
    the booking is unmatched again, with the reason linking gives now. Refused once points
    were credited, or spend counted, for the booking (a ledger step), while the member has
    points held or spent on it, or when it is no longer this member's manual link."""

    uow_factory: UnitOfWorkFactory
    switches: Switches

    async def __call__(self, booking_id: int, user_id: int) -> Booking:
        async with self.uow_factory() as uow:
            locked = await uow.bookings.lock_many([booking_id])
            if not locked:
                raise NotFound(f"booking {booking_id} does not exist")
            booking = locked[0]
            if booking.user_id != user_id or booking.match_method is not MatchMethod.MANUAL:
                raise UndoRefused(
                    f"booking {booking_id} is not linked by hand to member {user_id} any more",
                    "moved",
                )
            if booking.bonus_points or booking.bonus_basis or booking.ledger_step:
                raise UndoRefused(
                    f"booking {booking_id}: points were already settled for it", "settled"
                )
            if await uow.redemptions.lock_active([booking_id]):
                raise UndoRefused(f"booking {booking_id}: the member has points held on it", "held")
            resolution = await ResolveUser(
                uow.users, self.switches.verified_contacts_only, self.switches.phone_region
            ).one(booking)
            await uow.bookings.unlink(booking_id, resolution.reason)
            unlinked = await uow.bookings.get(booking_id)
            await uow.commit()
        assert unlinked is not None
        return unlinked
