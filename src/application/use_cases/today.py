"""The front desk's day: every visit of a salon-local date with what to do at checkout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from src.application.ports.bookings import BookingQuery
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWorkFactory
from src.domain.booking import Booking
from src.domain.money import ZERO
from src.domain.redemption import (
    ACTIVE_STATES,
    HoldRules,
    Redemption,
    RedemptionState,
    amount_to_pay,
    capture_refusal,
)
from src.domain.user import User

# Salon offsets range from UTC-12 to UTC+14: a local day lies within this UTC window.
WIDEST_OFFSET = timedelta(hours=14)
MOST_VISITS = 500  # a salon's day is far smaller; a bound so the page stays one query


def day_window(day: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) that hold `day` on any salon's wall clock."""
    start = datetime.combine(day, time(), tzinfo=UTC) - WIDEST_OFFSET
    return start, start + timedelta(days=1) + 2 * WIDEST_OFFSET


@dataclass(frozen=True, slots=True)
class TodayVisit:
    """One visit: who, when, and what happens to the member's points at the desk."""

    booking: Booking
    member: User | None  # None: the client is not (yet) a member
    balance: Decimal | None  # the member's points balance
    hold: Redemption | None  # the member's HELD or CAPTURED points on this visit
    can_capture: bool  # the hold is the salon's now: the capture button is offered

    @property
    def to_deduct(self) -> Decimal:
        """Points to enter as a discount (what is still held)."""
        if self.hold is not None and self.hold.state is RedemptionState.HELD:
            return self.hold.points
        return ZERO

    @property
    def to_pay(self) -> Decimal:
        return amount_to_pay(self.booking, self.hold)


@dataclass(frozen=True, slots=True)
class TodayView:
    day: date
    visits: tuple[TodayVisit, ...]

    @property
    def members(self) -> int:
        return sum(1 for v in self.visits if v.member is not None)

    @property
    def to_deduct(self) -> Decimal:
        return sum((v.to_deduct for v in self.visits), ZERO)


@dataclass(frozen=True, slots=True)
class TodayVisits:
    """Admin: the visits of a salon-local day (earliest first, cancelled ones included: the
    desk sees them too), with member, balance, hold and the amount to pay. One unit of work
    and a fixed number of statements, however many visits the day holds."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    rules: HoldRules

    async def __call__(self, day: date | None = None) -> TodayView:
        now = self.clock.now()
        day = day or now.astimezone(self.rules.zone).date()
        start, end = day_window(day)
        async with self.uow_factory() as uow:
            found = await uow.bookings.query(BookingQuery(starts_from=start, limit=MOST_VISITS))
            bookings = [
                b for b in found.items
                if b.appointment_at < end and not b.deleted
                and b.local_appointment_at.date() == day
            ]  # fmt: skip
            holds: dict[int, Redemption] = {}
            for state in sorted(ACTIVE_STATES):
                for r in await uow.redemptions.for_visits(state, start, end):
                    if r.booking_id is not None:
                        holds[r.booking_id] = r
            uids = {b.user_id for b in bookings if b.user_id is not None}
            users = await uow.users.get_many(uids)
            accounts = await uow.ledger.get_accounts(uids)
        visits = []
        for b in bookings:
            member = users.get(b.user_id) if b.user_id else None
            balance = accounts[b.user_id].balance if b.user_id else None
            hold = holds.get(b.id) if b.id is not None else None
            capturable = hold is not None and capture_refusal(b, hold, now, self.rules) is None
            visits.append(TodayVisit(b, member, balance, hold, capturable))
        return TodayView(day, tuple(visits))
