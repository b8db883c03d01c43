"""LedgerRepository and LevelRepository on SQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    Integer,
    Numeric,
    Text,
    delete,
    func,
    select,
)

from src.adapters.db.arrays import as_arrays, insert_from_arrays
from src.adapters.db.executor import Executor, chunks
from src.adapters.db.models import AccountRow, LedgerRow, LevelRow, table, utcnow
from src.application.ports.paging import Page
from src.domain.loyalty import EntryKind, LedgerEntry, LoyaltyAccount, LoyaltyLevel

accounts = table(AccountRow)
entries = table(LedgerRow)
levels = table(LevelRow)


def to_account(row: Any) -> LoyaltyAccount:
    return LoyaltyAccount(
        user_id=row.user_id, balance=row.balance, completed_spend=row.completed_spend
    )


def to_entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        user_id=row.user_id,
        kind=EntryKind(row.kind),
        amount=row.amount,
        reason=row.reason,
        created_at=row.created_at,
        booking_id=row.booking_id,
        step=row.step,
        percent=row.percent,
        actor_id=row.actor_id,
        id=row.id,
        redemption_id=row.redemption_id,
    )


_ENTRY_COLUMNS: dict[str, Any] = {
    "user_id": BigInteger, "booking_id": BigInteger, "step": Integer, "kind": Text,
    "amount": Numeric(12, 2), "percent": Numeric(5, 2), "reason": Text, "actor_id": BigInteger,
    "created_at": TIMESTAMP(timezone=True),
}  # fmt: skip
_PG_APPEND = insert_from_arrays(entries, _ENTRY_COLUMNS)
_LOCK_ACCOUNTS: dict[str, Any] = {}  # per dialect, built once


class SqlLedger:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def lock_accounts(self, user_ids: Collection[int]) -> dict[int, LoyaltyAccount]:
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        # One statement creates what is missing and locks everything: ON CONFLICT DO UPDATE
        # locks the existing row (the latest committed version) and RETURNING reads it. The
        # rows are taken in user_id order, so two transactions cannot deadlock on them.
        dialect = "postgresql" if self.db.is_postgres else "sqlite"
        stmt = _LOCK_ACCOUNTS.get(dialect)
        if stmt is None:
            insert = self.db.insert(accounts)
            stmt = _LOCK_ACCOUNTS[dialect] = insert.on_conflict_do_update(
                index_elements=[accounts.c.user_id],
                set_={"user_id": insert.excluded.user_id},  # no change, only the lock
            ).returning(*accounts.c)
        now = utcnow()
        result = await self.db.execute(stmt, [{"user_id": uid, "updated_at": now} for uid in ids])
        return {row.user_id: to_account(row) for row in result}

    async def save_accounts(self, items: Collection[LoyaltyAccount]) -> None:
        now = utcnow()
        await self.db.update_each(
            accounts.c.user_id,
            (
                (a.user_id, {"balance": a.balance, "completed_spend": a.completed_spend,
                             "updated_at": now})
                for a in sorted(items, key=lambda a: a.user_id)
            ),
        )  # fmt: skip

    async def get_account(self, user_id: int) -> LoyaltyAccount:
        stmt = select(accounts).where(accounts.c.user_id == user_id)
        row = (await self.db.execute(stmt)).first()
        return to_account(row) if row else LoyaltyAccount(user_id=user_id)

    async def get_accounts(self, user_ids: Collection[int]) -> dict[int, LoyaltyAccount]:
        ids = sorted(set(user_ids))
        out = {uid: LoyaltyAccount(user_id=uid) for uid in ids}
        for part in chunks(ids, 1):
            stmt = select(accounts).where(accounts.c.user_id.in_(part))
            out.update((row.user_id, to_account(row)) for row in await self.db.execute(stmt))
        return out

    async def append(self, items: Sequence[LedgerEntry]) -> None:
        if not items:
            return
        rows = [
            (e.user_id, e.booking_id, e.step, e.kind.value, e.amount, e.percent, e.reason,
             e.actor_id, e.created_at)
            for e in items
        ]  # fmt: skip
        # A step taken by a concurrent transaction violates UNIQUE (booking_id, step): the
        # executor turns that into ConcurrentUpdate and the use case retries.
        if self.db.is_postgres:
            await self.db.execute(_PG_APPEND, as_arrays(list(_ENTRY_COLUMNS), rows))
        else:  # executemany
            params = [dict(zip(_ENTRY_COLUMNS, r, strict=True)) for r in rows]
            await self.db.execute(entries.insert(), params)

    async def add(self, entry: LedgerEntry) -> LedgerEntry:
        # A second entry of one kind for a redemption violates UNIQUE (redemption_id, kind).
        stmt = (
            entries.insert()
            .values(
                user_id=entry.user_id, booking_id=entry.booking_id, step=entry.step,
                kind=entry.kind.value, amount=entry.amount, percent=entry.percent,
                reason=entry.reason, actor_id=entry.actor_id, created_at=entry.created_at,
                redemption_id=entry.redemption_id,
            )
            .returning(entries.c.id)
        )  # fmt: skip
        return replace(entry, id=(await self.db.execute(stmt)).scalar_one())

    async def entries(self, user_id: int, limit: int, offset: int) -> Page[LedgerEntry]:
        mine = entries.c.user_id == user_id
        stmt = (
            select(entries)
            .where(mine)
            .order_by(entries.c.created_at.desc(), entries.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [to_entry(row) for row in await self.db.execute(stmt)]
        count = select(func.count()).select_from(entries).where(mine)
        total = (await self.db.execute(count)).scalar_one()
        return Page(items=items, total=total, limit=limit, offset=offset)


class SqlLevels:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def all(self) -> list[LoyaltyLevel]:
        stmt = select(levels).order_by(levels.c.min_spend)
        return [
            LoyaltyLevel(row.name, row.min_spend, row.cashback_percent)
            for row in await self.db.execute(stmt)
        ]

    async def replace(self, wanted: Sequence[LoyaltyLevel]) -> None:
        await self.db.execute(delete(levels))
        await self.db.execute(
            levels.insert(),
            [
                {
                    "name": lv.name,
                    "min_spend": lv.min_spend,
                    "cashback_percent": lv.cashback_percent,
                }
                for lv in wanted
            ],
        )
