"""What the in-memory fakes hold: one store shared by every unit of work of a factory."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from src.application.ports.paging import Page
from src.domain.booking import Booking
from src.domain.dismissed import ClientKey, DismissedClient
from src.domain.inbox import WebhookEvent
from src.domain.loyalty import DEFAULT_LEVELS, LedgerEntry, LoyaltyAccount, LoyaltyLevel
from src.domain.once import OnceKey
from src.domain.quarantine import QuarantinedRecord
from src.domain.redemption import Redemption
from src.domain.salon import Salon
from src.domain.sync_run import SyncRun
from src.domain.user import User
from src.domain.verification import VerificationCode


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
    dismissed: dict[ClientKey, DismissedClient] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        return next(self.ids)


def page_of(items: list, limit: int, offset: int) -> Page:  # type: ignore[type-arg]
    return Page(items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset)
