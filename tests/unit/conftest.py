"""Unit tests: use cases over in-memory fakes. No database, no Redis, no network."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pytest_socket import disable_socket, enable_socket

from src.application.inbox.admin import ProcessWebhookEvent
from src.application.ports.users import NewUser
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.sync import SyncBookings
from src.domain.booking import Booking, BookingKey
from src.domain.contacts import normalize_email, phone_key
from src.domain.record import ClientInfo, YClientsRecord
from src.domain.user import User
from tests.factories import COMPANY_ID, RecordFactory
from tests.fakes.clock import FakeClock
from tests.fakes.store import Store
from tests.fakes.sync import FakeSyncLock
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.yclients import FakeGateway

VERIFIED_AT = datetime(2026, 1, 1, tzinfo=UTC)  # members of these tests proved their contacts


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    # Unix sockets stay allowed: the asyncio event loop needs a socketpair.
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


@dataclass
class World:
    """The use cases wired to fakes, plus helpers to set the scene in one line."""

    store: Store = field(default_factory=Store)
    clock: FakeClock = field(default_factory=FakeClock)
    switches: Switches = field(default_factory=Switches)
    gateway: FakeGateway = field(default_factory=FakeGateway)
    lock: FakeSyncLock = field(default_factory=FakeSyncLock)
    _versions: dict[BookingKey, int] = field(default_factory=dict)

    @property
    def uow_factory(self) -> FakeUnitOfWorkFactory:
        return FakeUnitOfWorkFactory(self.store)

    @property
    def ingest(self) -> IngestRecords:
        return IngestRecords(self.uow_factory, self.clock, self.switches)

    def sync(self, **kwargs: int) -> SyncBookings:
        return SyncBookings(
            self.uow_factory, self.gateway, self.clock, self.lock, self.switches, **kwargs
        )

    async def user(
        self,
        email: str = "maria@example.com",
        phone: str | None = None,
        code: str | None = None,
        verified: bool = True,
    ) -> User:
        async with self.uow_factory() as uow:
            user = await uow.users.add(
                NewUser(
                    email=normalize_email(email) or email,
                    password_hash="plain$secret123",
                    phone=phone,
                    phone_key=phone_key(phone),
                    unique_code=code,
                    email_verified_at=VERIFIED_AT if verified else None,
                    phone_verified_at=VERIFIED_AT if verified and phone else None,
                )
            )
            await uow.commit()
        return user

    def record(self, record_id: int = 1, **kwargs: object) -> YClientsRecord:
        """A record version; each call for the same id is one second newer by default."""
        key = BookingKey(COMPANY_ID, record_id)
        n = self._versions.get(key, 0) + 1
        self._versions[key] = n
        kwargs.setdefault("last_change_at", self.clock.now() + timedelta(seconds=n))
        email = kwargs.pop("email", None)
        phone = kwargs.pop("phone", None)
        if email or phone:
            kwargs["client"] = ClientInfo(name="Maria", phone=phone, email=email)  # type: ignore[arg-type]
        if "price" in kwargs:
            from src.domain.record import ServiceLine

            kwargs["services"] = (ServiceLine("Service", Decimal(str(kwargs.pop("price")))),)
        return RecordFactory.build(record_id=record_id, **kwargs)

    def newer(self, record: YClientsRecord, **changes: object) -> YClientsRecord:
        return replace(
            record, last_change_at=record.last_change_at + timedelta(seconds=1), **changes
        )

    def booking(self, record_id: int = 1) -> Booking:
        return next(b for b in self.store.bookings.values() if b.record_id == record_id)

    def balance(self, user_id: int) -> Decimal:
        acc = self.store.accounts.get(user_id)
        return acc.balance if acc else Decimal("0.00")

    def ledger_sum(self, user_id: int) -> Decimal:
        return sum((e.amount for e in self.store.entries if e.user_id == user_id), Decimal("0.00"))

    def booking_entries(self, booking_id: int | None) -> list:  # type: ignore[type-arg]
        return [e for e in self.store.entries if e.booking_id == booking_id]


@pytest.fixture
def world() -> World:
    return World()


__all__ = ["ProcessWebhookEvent", "World"]
