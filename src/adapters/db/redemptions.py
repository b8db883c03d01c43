"""RedemptionRepository on SQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, update

from src.adapters.db.executor import Executor, chunks
from src.adapters.db.models import BookingRow, RedemptionRow, table
from src.application.ports.paging import Page
from src.domain.redemption import ACTIVE_STATES, Redemption, RedemptionState

redemptions = table(RedemptionRow)
bookings = table(BookingRow)
_c = redemptions.c
_HELD = RedemptionState.HELD.value
_ACTIVE = sorted(s.value for s in ACTIVE_STATES)


def to_redemption(row: Any) -> Redemption:
    return Redemption(
        user_id=row.user_id,
        points=row.points,
        state=RedemptionState(row.state),
        reason=row.reason,
        created_at=row.created_at,
        booking_id=row.booking_id,
        actor_id=row.actor_id,
        id=row.id,
        updated_at=row.updated_at,
        visit_price=row.visit_price,
        captured_by=row.captured_by,
        released_by=row.released_by,
    )


class SqlRedemptions:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add(self, redemption: Redemption) -> Redemption:
        # A second HELD row for one booking violates ix_loyalty_redemptions_held_booking: the
        # executor turns that into ConcurrentUpdate.
        stmt = (
            redemptions.insert()
            .values(
                user_id=redemption.user_id,
                booking_id=redemption.booking_id,
                points=redemption.points,
                state=redemption.state.value,
                reason=redemption.reason,
                actor_id=redemption.actor_id,
                visit_price=redemption.visit_price,
                captured_by=redemption.captured_by,
                released_by=redemption.released_by,
                created_at=redemption.created_at,
                updated_at=redemption.updated_at or redemption.created_at,
            )
            .returning(_c.id)
        )
        new_id = (await self.db.execute(stmt)).scalar_one()
        return replace(redemption, id=new_id)

    async def get(self, redemption_id: int) -> Redemption | None:
        row = (await self.db.execute(select(redemptions).where(_c.id == redemption_id))).first()
        return to_redemption(row) if row else None

    async def get_many(self, redemption_ids: Collection[int]) -> dict[int, Redemption]:
        out: dict[int, Redemption] = {}
        for part in chunks(sorted(set(redemption_ids)), 1):
            for row in await self.db.execute(select(redemptions).where(_c.id.in_(part))):
                out[row.id] = to_redemption(row)
        return out

    async def lock(self, redemption_id: int) -> Redemption | None:
        stmt = select(redemptions).where(_c.id == redemption_id).with_for_update()
        row = (await self.db.execute(stmt)).first()
        return to_redemption(row) if row else None

    async def lock_held(self, booking_ids: Collection[int]) -> list[Redemption]:
        ids = sorted(set(booking_ids))
        if not ids:
            return []
        stmt = (
            select(redemptions)
            .where(_c.state == _HELD, _c.booking_id.in_(ids))
            .order_by(_c.id)
            .with_for_update()
        )
        return [to_redemption(row) for row in await self.db.execute(stmt)]

    async def lock_active(self, booking_ids: Collection[int]) -> list[Redemption]:
        ids = sorted(set(booking_ids))
        if not ids:
            return []
        stmt = (
            select(redemptions)
            .where(_c.state.in_(_ACTIVE), _c.booking_id.in_(ids))
            .order_by(_c.id)
            .with_for_update()
        )
        return [to_redemption(row) for row in await self.db.execute(stmt)]

    async def redeemed_on(self, booking_id: int) -> Decimal:
        stmt = select(func.coalesce(func.sum(_c.points), 0)).where(
            _c.booking_id == booking_id, _c.state == RedemptionState.REDEEMED.value
        )
        return Decimal((await self.db.execute(stmt)).scalar_one())

    async def save(self, items: Sequence[Redemption]) -> None:
        if not items:
            return
        params = [
            {
                "r_id": r.id,
                "state": r.state.value,
                "updated_at": r.updated_at,
                "captured_by": r.captured_by,
                "released_by": r.released_by,
            }
            for r in sorted(items, key=lambda r: r.id or 0)
        ]
        await self.db.execute(update(redemptions).where(_c.id == bindparam("r_id")), params)

    async def held_points(self, booking_ids: Collection[int]) -> dict[int, Decimal]:
        ids = sorted(set(booking_ids))
        if not ids:
            return {}
        stmt = select(_c.booking_id, _c.points).where(_c.state == _HELD, _c.booking_id.in_(ids))
        return {row.booking_id: row.points for row in await self.db.execute(stmt)}

    async def query(self, user_id: int, limit: int, offset: int) -> Page[Redemption]:
        mine = _c.user_id == user_id
        stmt = (
            select(redemptions)
            .where(mine)
            .order_by(_c.created_at.desc(), _c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [to_redemption(row) for row in await self.db.execute(stmt)]
        count = select(func.count()).select_from(redemptions).where(mine)
        total = (await self.db.execute(count)).scalar_one()
        return Page(items=items, total=total, limit=limit, offset=offset)

    async def for_visits(
        self, state: RedemptionState, start: datetime, end: datetime
    ) -> list[Redemption]:
        b = bookings.c
        stmt = (
            select(redemptions)
            .join(bookings, b.id == _c.booking_id)
            .where(_c.state == state.value, b.appointment_at >= start, b.appointment_at < end)
            .order_by(b.appointment_at, _c.id)
        )
        return [to_redemption(row) for row in await self.db.execute(stmt)]
