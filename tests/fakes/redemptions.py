"""In-memory redemptions (`RedemptionRepository`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from src.application.errors import ConcurrentUpdate
from src.application.ports.paging import Page
from src.domain.redemption import ACTIVE_STATES, Redemption, RedemptionState
from tests.fakes.store import Store, page_of


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

    async def get_many(self, redemption_ids: Collection[int]) -> dict[int, Redemption]:
        found = {i: self.s.redemptions.get(i) for i in set(redemption_ids)}
        return {i: replace(r) for i, r in found.items() if r is not None}

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
        return page_of(rows, limit, offset)

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
