"""ExpirePoints: write one EXPIRY entry per lot whose time has come, for its unspent
remainder, and remind members once per lot before that.

Invariant: a lot expires at most once, for at most what is left of it, and the balance stays
the sum of the ledger. Enforced in the database: `points_lot_expiries` has the lot as its
primary key (a second EXPIRY of one lot fails its transaction), and each member is handled
in one transaction holding their account row locked (`lock_accounts`), so what is left of a
lot is computed on the latest ledger; a racing run waits, then finds nothing due. Reminders:
`points_lot_reminders` keyed by lot, inserted before the reminder goes out.
"""

from __future__ import annotations

import logging
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from src.application.conflicts import retry_on_conflict
from src.application.ledger import TTL_HISTORY, expire_lots
from src.application.ports.clock import Clock
from src.application.ports.expiry import ExpiryReminders
from src.application.ports.uow import UnitOfWorkFactory
from src.application.switches import Switches
from src.domain.expiry import TtlHistory, expiring_within, replay
from src.domain.money import ZERO
from src.domain.user import User

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(slots=True)
class ExpiryResult:
    members: int = 0
    lots: int = 0
    points: Decimal = ZERO
    reminders: int = 0


@dataclass(slots=True)
class _Reminder:
    user_id: int
    points: Decimal
    expires_at: datetime
    email: str | None  # None: not to be written to


@dataclass(slots=True)
class _Member:
    lots: int = 0
    points: Decimal = ZERO
    reminders: list[_Reminder] = field(default_factory=list)


@dataclass(slots=True)
class RecordTtl:
    """Remember `POINTS_TTL_DAYS` with the moment it took effect (new lots only)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    ttl_days: int

    async def __call__(self) -> TtlHistory:
        async with self.uow_factory() as uow:
            stored = await uow.app_state.get(TTL_HISTORY)
            history = TtlHistory.load(stored)
            current = history.with_current(self.ttl_days, self.clock.now())
            if current is not history or stored is None:
                await uow.app_state.put(TTL_HISTORY, current.dump(), self.clock.now())
                await uow.commit()
        return current


@dataclass(slots=True)
class ExpirePoints:
    """Daily (and `just expire-points`): expire due lots and send due reminders. A reminder
    is emailed only to a verified address (an unverified one may be a stranger's), unless
    `switches.verified_contacts_only` is off (CONTACT_VERIFICATION=off)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    reminders: ExpiryReminders
    _: KW_ONLY
    ttl_days: int
    reminder_days: int
    batch_size: int = 200
    switches: Switches = field(default_factory=Switches)

    @property
    def record_ttl(self) -> RecordTtl:
        return RecordTtl(self.uow_factory, self.clock, self.ttl_days)

    async def __call__(self) -> ExpiryResult:
        history = await self.record_ttl()
        result = ExpiryResult()
        ttls = [days for _, days in history.changes if days > 0]
        if not ttls:
            return result  # points never expired under any setting
        now = self.clock.now()
        cutoff = now + timedelta(days=self.reminder_days) - timedelta(days=min(ttls))
        after = 0
        while True:
            async with self.uow_factory() as uow:
                users = await uow.expiry.candidate_users(cutoff, after, self.batch_size)
            if not users:
                break
            for user_id in users:
                member = await self._member(user_id, history, now)
                result.members += 1
                result.lots += member.lots
                result.points += member.points
                for r in member.reminders:  # after the commit that recorded them: once
                    await self.reminders.points_expiring(
                        r.user_id, r.points, r.expires_at, email=r.email
                    )
                result.reminders += len(member.reminders)
            after = users[-1]
        log.info(
            "points_expiry_run",
            extra={
                "members": result.members,
                "lots": result.lots,
                "points": str(result.points),
                "reminders": result.reminders,
            },
        )
        return result

    async def _member(self, user_id: int, history: TtlHistory, now: datetime) -> _Member:
        return await retry_on_conflict(
            lambda: self._expire(user_id, history, now),
            attempts=MAX_ATTEMPTS,
            log_as="points_expiry_retry",
            extra={"user_id": user_id},
        )

    async def _expire(self, user_id: int, history: TtlHistory, now: datetime) -> _Member:
        out = _Member()
        async with self.uow_factory() as uow:
            account = (await uow.ledger.lock_accounts([user_id]))[user_id]
            book = replay(
                await uow.expiry.ledger(user_id), history, await uow.expiry.expired_lots(user_id)
            )
            written = await expire_lots(uow, account, book, now)
            out.lots = len(written)
            out.points = sum((e.amount for e in written), ZERO)
            reminded = await uow.expiry.reminded_lots(user_id)
            email: str | None = None
            for lot in expiring_within(book, now, self.reminder_days):
                if lot.entry_id in reminded or lot.expires_at is None:
                    continue
                if await uow.expiry.record_reminder(lot.entry_id, user_id, lot.expires_at, now):
                    if not out.reminders:
                        email = self._address(await uow.users.get(user_id))
                    out.reminders.append(_Reminder(user_id, lot.remaining, lot.expires_at, email))
            await uow.commit()
        return out

    def _address(self, user: User | None) -> str | None:
        """Where the member's reminders may go: a verified email (any, when verification is
        off), else nowhere."""
        if user is None:
            return None
        if self.switches.verified_contacts_only and user.email_verified_at is None:
            return None
        return user.email


SOON_DAYS = 30


@dataclass(frozen=True, slots=True)
class Expiring:
    points: Decimal
    expires_at: datetime


@dataclass(slots=True)
class ExpiringSoon:
    """A member's points that expire within the next 30 days, per lot, soonest first (the
    lots as the expiry run will see them: the stored TTL history, the member's ledger)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, user_id: int) -> list[Expiring]:
        async with self.uow_factory() as uow:
            history = TtlHistory.load(await uow.app_state.get(TTL_HISTORY))
            if all(days == 0 for _, days in history.changes):
                return []
            book = replay(
                await uow.expiry.ledger(user_id), history, await uow.expiry.expired_lots(user_id)
            )
        lots = expiring_within(book, self.clock.now(), SOON_DAYS)
        return [Expiring(lot.remaining, lot.expires_at) for lot in lots if lot.expires_at]
