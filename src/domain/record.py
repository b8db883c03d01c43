"""A YClients record as the domain sees it, after the adapter decoded and mapped it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from src.domain.money import ZERO, quantize
from src.domain.status import BookingStatus


@dataclass(frozen=True, slots=True)
class ServiceLine:
    title: str
    cost: Decimal


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """The client as YClients has them; any field may be missing."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class YClientsRecord:
    """One YClients record (booking). Times are timezone-aware UTC; `utc_offset_minutes` is
    the offset YClients gave the appointment time (the salon's wall clock), None if unknown."""

    company_id: int
    record_id: int
    status: BookingStatus
    appointment_at: datetime
    last_change_at: datetime
    services: tuple[ServiceLine, ...] = ()
    staff_name: str | None = None
    client: ClientInfo | None = None
    comment: str = ""
    deleted: bool = False
    utc_offset_minutes: int | None = None
    price: Decimal = field(init=False)

    def __post_init__(self) -> None:
        # The price is what the client pays: the sum of the services' final `cost`.
        object.__setattr__(self, "price", quantize(sum((s.cost for s in self.services), ZERO)))
