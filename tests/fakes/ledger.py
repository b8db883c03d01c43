"""In-memory ledger and levels (`LedgerRepository`, `LevelRepository`)."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import replace

from src.application.errors import ConcurrentUpdate
from src.application.ports.paging import Page
from src.domain.loyalty import LedgerEntry, LoyaltyAccount, LoyaltyLevel
from tests.fakes.store import Store, page_of


class FakeLedger:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def lock_accounts(self, user_ids: Collection[int]) -> dict[int, LoyaltyAccount]:
        out = {}
        for uid in sorted(set(user_ids)):
            acc = self.s.accounts.setdefault(uid, LoyaltyAccount(user_id=uid))
            out[uid] = copy.copy(acc)
        return out

    async def save_accounts(self, accounts: Collection[LoyaltyAccount]) -> None:
        for acc in accounts:
            self.s.accounts[acc.user_id] = copy.copy(acc)

    async def get_account(self, user_id: int) -> LoyaltyAccount:
        return copy.copy(self.s.accounts.get(user_id, LoyaltyAccount(user_id=user_id)))

    async def get_accounts(self, user_ids: Collection[int]) -> dict[int, LoyaltyAccount]:
        return {uid: await self.get_account(uid) for uid in set(user_ids)}

    async def append(self, entries: Sequence[LedgerEntry]) -> None:
        taken = {(e.booking_id, e.step) for e in self.s.entries if e.booking_id is not None}
        for e in entries:
            if e.booking_id is not None and (e.booking_id, e.step) in taken:
                raise ConcurrentUpdate(f"ledger step {(e.booking_id, e.step)} written twice")
            taken.add((e.booking_id, e.step))
            self.s.entries.append(replace(e, id=self.s.next_id()))

    async def add(self, entry: LedgerEntry) -> LedgerEntry:
        if entry.redemption_id is not None and any(
            (e.redemption_id, e.kind) == (entry.redemption_id, entry.kind) for e in self.s.entries
        ):
            raise ConcurrentUpdate(f"{entry.kind} of redemption {entry.redemption_id} twice")
        await self.append([entry])
        return self.s.entries[-1]

    async def entries(self, user_id: int, limit: int, offset: int) -> Page[LedgerEntry]:
        rows = sorted(
            (e for e in self.s.entries if e.user_id == user_id),
            key=lambda e: (e.created_at, e.id or 0), reverse=True,
        )  # fmt: skip
        return page_of(rows, limit, offset)


class FakeLevels:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def all(self) -> list[LoyaltyLevel]:
        return sorted(self.s.levels, key=lambda lv: lv.min_spend)

    async def replace(self, levels: Sequence[LoyaltyLevel]) -> None:
        self.s.levels = list(levels)
