"""The redemptions port: points set aside, captured, released or redeemed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from src.application.ports.paging import Page
from src.domain.redemption import Redemption, RedemptionState


class RedemptionRepository(Protocol):
    async def add(self, redemption: Redemption) -> Redemption:
        """Insert; returns it with its id. A second HELD one for a booking raises
        `ConcurrentUpdate` (the database keeps one active redemption per booking)."""
        ...

    async def get(self, redemption_id: int) -> Redemption | None: ...

    async def get_many(self, redemption_ids: Collection[int]) -> dict[int, Redemption]:
        """The redemptions among `redemption_ids`, by id (missing ids left out), one query."""
        ...

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
