"""Bookings: the local copy of a YClients record, linked to a member."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

from src.domain.money import ZERO
from src.domain.record import YClientsRecord
from src.domain.status import UPCOMING_STATUSES, BookingStatus
from src.domain.versions import supersedes

__all__ = [
    "DELETE_CLOCK_SKEW",
    "UPCOMING_STATUSES",
    "Booking",
    "BookingKey",
    "BookingStatus",
    "Freshness",
    "MatchMethod",
]

# A delete without `data` is dated by our receive time, the version by YClients' clock,
# written to the second: a delete received this soon "before" the stored version is the
# same moment (rounding, clock skew) and still deletes. Replays come minutes later.
DELETE_CLOCK_SKEW = timedelta(seconds=5)


class MatchMethod(enum.StrEnum):
    CODE = "code"
    EMAIL = "email"
    PHONE = "phone"
    MANUAL = "manual"


class BookingKey(NamedTuple):
    """YClients identifies a record by company and record id. (A named tuple: built and
    hashed for every record of every sync, several times; a frozen dataclass cost 3x more.)"""

    company_id: int
    record_id: int


class Freshness(enum.Enum):
    """How an incoming record compares with the stored booking."""

    NEW = "new"  # no booking yet
    NEWER = "newer"  # changes the booking
    SAME = "same"  # same version: booking fields stay, linking/awarding may still run
    STALE = "stale"  # older than what is stored: changes nothing


@dataclass(slots=True)
class Booking:
    """A booking. `bonus_points` is what the ledger granted for it (sum of its entries),
    `bonus_percent` is frozen at the first accrual, `bonus_basis` is the spend it adds to the
    member's level while it holds points, and `ledger_step` numbers its ledger entries.
    `appointment_at` is the instant (UTC); `utc_offset_minutes` the salon's offset for it
    (None for bookings stored before offsets were kept: shown in UTC)."""

    company_id: int
    record_id: int
    status: BookingStatus
    appointment_at: datetime
    last_change_at: datetime
    price: Decimal = ZERO
    services: tuple[tuple[str, Decimal], ...] = ()
    staff_name: str | None = None
    client_name: str | None = None
    client_phone: str | None = None
    client_email: str | None = None
    comment: str = ""
    deleted: bool = False
    utc_offset_minutes: int | None = None
    id: int | None = None
    user_id: int | None = None
    match_method: MatchMethod | None = None
    unmatched_reason: str | None = None
    bonus_points: Decimal = ZERO
    bonus_percent: Decimal | None = None
    bonus_basis: Decimal = ZERO
    ledger_step: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = field(default=None, compare=False)

    @property
    def key(self) -> BookingKey:
        return BookingKey(self.company_id, self.record_id)

    @property
    def local_appointment_at(self) -> datetime:
        """The same instant on the salon's wall clock (`12:00+03:00`, not `09:00Z`)."""
        if self.utc_offset_minutes is None:
            return self.appointment_at
        return self.appointment_at.astimezone(_zone(self.utc_offset_minutes))

    @property
    def loyalty_bonuses_awarded(self) -> bool:
        """The seed's flag, derived from the ledger so it can never disagree with it."""
        return self.bonus_points > ZERO

    @property
    def is_linked(self) -> bool:
        return self.user_id is not None

    @classmethod
    def from_record(cls, record: YClientsRecord) -> Booking:
        booking = cls(
            company_id=record.company_id,
            record_id=record.record_id,
            status=record.status,
            appointment_at=record.appointment_at,
            last_change_at=record.last_change_at,
        )
        booking.apply(record)
        return booking

    def freshness(self, record: YClientsRecord) -> Freshness:
        """Compare by YClients `last_change_date`; a deletion wins over a same-time version."""
        if supersedes(record, self):  # the version-order rule (src/domain/versions.py)
            return Freshness.NEWER
        if record.last_change_at == self.last_change_at:
            return Freshness.SAME
        return Freshness.STALE

    def apply(self, record: YClientsRecord) -> None:
        """Copy the record's data onto the booking (link and loyalty state are kept)."""
        client = record.client
        self.status = BookingStatus.CANCELLED if record.deleted else record.status
        self.appointment_at = record.appointment_at
        self.last_change_at = record.last_change_at
        self.price = record.price
        self.services = tuple((s.title, s.cost) for s in record.services)
        self.staff_name = record.staff_name
        self.client_name = client.name if client else None
        self.client_phone = client.phone if client else None
        self.client_email = client.email if client else None
        self.comment = record.comment
        self.deleted = record.deleted
        self.utc_offset_minutes = record.utc_offset_minutes

    def copy(self) -> Booking:
        return replace(self)


_ZONES: dict[int, timezone] = {}


def _zone(minutes: int) -> timezone:
    """A fixed-offset zone, shared: a list shows many bookings of the same few salons."""
    zone = _ZONES.get(minutes)
    if zone is None:
        zone = _ZONES[minutes] = timezone(timedelta(minutes=minutes))
    return zone
