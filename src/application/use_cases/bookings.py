"""Bookings as members and admins see them, and the admin's manual link."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from src.application.errors import NotFound, ValidationFailed
from src.application.ledger import post_entries
from src.application.ports.bookings import BookingQuery
from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.switches import Switches
from src.application.use_cases.visit_settlement import SettleVisit, release
from src.domain.booking import UPCOMING_STATUSES, Booking, BookingStatus, MatchMethod
from src.domain.loyalty import withdraw_award


@dataclass(frozen=True, slots=True)
class ListBookings:
    """A member's own bookings. Upcoming: from now on, PENDING/CONFIRMED, nearest first."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(
        self,
        user_id: int,
        *,
        upcoming_only: bool = False,
        status: BookingStatus | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> Page[Booking]:
        query = member_bookings(
            user_id, self.clock.now(), upcoming_only=upcoming_only, status=status,
            limit=limit, offset=offset,
        )  # fmt: skip
        async with self.uow_factory() as uow:
            return await uow.bookings.query(query)


def member_bookings(
    user_id: int,
    now: datetime,
    *,
    upcoming_only: bool = False,
    status: BookingStatus | None = None,
    limit: int = 20,
    offset: int = 0,
) -> BookingQuery:
    """The query of a member's bookings (see `ListBookings`)."""
    statuses: frozenset[BookingStatus] | None = frozenset({status}) if status else None
    if upcoming_only:
        statuses = UPCOMING_STATUSES & statuses if statuses else UPCOMING_STATUSES
    return BookingQuery(
        user_id=user_id,
        statuses=statuses,
        starts_from=now if upcoming_only else None,
        limit=limit,
        offset=offset,
    )


@dataclass(frozen=True, slots=True)
class ListUnmatched:
    uow_factory: UnitOfWorkFactory

    async def __call__(self, limit: int = 20, offset: int = 0) -> Page[Booking]:
        """Unmatched bookings, newest first (the admin API's list; the console's to-do list
        with its filters and suggestions is `UnmatchedToDo`)."""
        async with self.uow_factory() as uow:
            return await uow.bookings.query(
                BookingQuery(unmatched_only=True, limit=limit, offset=offset)
            )


@dataclass(frozen=True, slots=True)
class LinkBookingManually:
    """Admin: link a booking to a member. Points it already earned for someone else are
    reversed there first, then the new member gets what the booking entitles them to."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    switches: Switches
    settle: SettleVisit = field(default_factory=SettleVisit)

    async def __call__(self, booking_id: int, user_id: int, admin_id: int) -> Booking:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if await uow.users.get(user_id) is None:
                raise ValidationFailed(f"user_id: user {user_id} does not exist")
            locked = await uow.bookings.lock_many([booking_id])
            if not locked:
                raise NotFound(f"booking {booking_id} does not exist")
            booking = locked[0]
            if booking.user_id != user_id:
                # Another member's hold on this visit is theirs to get back.
                holds = await uow.redemptions.lock_held([booking_id])
                await release(uow, [r for r in holds if r.user_id != user_id], self.clock)
            if booking.user_id != user_id and (booking.bonus_points or booking.bonus_basis):
                await self._move_points_away(uow, booking, now, admin_id)
            await uow.bookings.relink(booking_id, user_id, MatchMethod.MANUAL)
            await self.settle(
                uow, [booking_id], loyalty_enabled=self.switches.loyalty_enabled, now=now
            )
            linked = await uow.bookings.get(booking_id)
            await uow.commit()
        assert linked is not None
        return linked

    @staticmethod
    async def _move_points_away(
        uow: UnitOfWork, booking: Booking, now: datetime, admin_id: int
    ) -> None:
        """What the booking earned leaves its old member's account: a REVERSAL step (posted
        and reported like every entry) and its spend off their level."""
        old_user = booking.user_id
        assert old_user is not None
        account = (await uow.ledger.lock_accounts([old_user]))[old_user]
        reason = f"booking {booking.id} relinked to another member by an admin"
        entry = withdraw_award(booking, account, reason, now, admin_id)
        await post_entries(uow, [entry] if entry else [], [account])
        await uow.bookings.save_loyalty([booking])
