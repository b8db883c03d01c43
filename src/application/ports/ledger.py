"""The loyalty ledger port: accounts, ledger entries and the levels."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from src.application.ports.paging import Page
from src.domain.loyalty import LedgerEntry, LoyaltyAccount, LoyaltyLevel


class LedgerRepository(Protocol):
    async def lock_accounts(self, user_ids: Collection[int]) -> dict[int, LoyaltyAccount]:
        """Accounts locked until commit, created (empty) where missing, locked in id order."""
        ...

    async def save_accounts(self, accounts: Collection[LoyaltyAccount]) -> None: ...

    async def get_account(self, user_id: int) -> LoyaltyAccount: ...

    async def get_accounts(self, user_ids: Collection[int]) -> dict[int, LoyaltyAccount]:
        """`get_account` of each id, one query: every id is in the answer (an empty account
        where none is stored)."""
        ...

    async def append(self, entries: Sequence[LedgerEntry]) -> None:
        """Insert entries. (booking_id, step) is unique: a duplicate step raises."""
        ...

    async def add(self, entry: LedgerEntry) -> LedgerEntry:
        """Insert one entry and return it as stored (with its id). (redemption_id, kind) is
        unique: a second HOLD / RELEASE / REDEMPTION of one redemption raises."""
        ...

    async def entries(self, user_id: int, limit: int, offset: int) -> Page[LedgerEntry]: ...


class LevelRepository(Protocol):
    async def all(self) -> list[LoyaltyLevel]: ...

    async def replace(self, levels: Sequence[LoyaltyLevel]) -> None:
        """Make these the levels (by name); levels not listed are removed."""
        ...
