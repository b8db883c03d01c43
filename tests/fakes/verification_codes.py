"""In-memory verification codes (`VerificationCodeRepository`)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime

from src.domain.verification import Purpose, VerificationCode
from tests.fakes.store import Store


class FakeVerificationCodes:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, code: VerificationCode) -> VerificationCode:
        stored = replace(code, id=self.s.next_id())
        self.s.codes[stored.id] = stored  # type: ignore[index]
        return copy.copy(stored)

    async def lock_latest(self, user_id: int, purpose: Purpose) -> VerificationCode | None:
        mine = [c for c in self.s.codes.values() if c.user_id == user_id and c.purpose is purpose]
        return copy.copy(max(mine, key=lambda c: c.id or 0)) if mine else None

    async def save(self, code: VerificationCode) -> None:
        stored = self.s.codes[code.id]  # type: ignore[index]
        stored.attempts, stored.consumed_at = code.attempts, code.consumed_at

    async def of_user_since(
        self, user_id: int, purpose: Purpose, since: datetime
    ) -> list[VerificationCode]:
        return [
            copy.copy(c)
            for c in self.s.codes.values()
            if c.user_id == user_id and c.purpose is purpose and c.created_at >= since
        ]

    async def delete_before(self, user_id: int, before: datetime) -> None:
        for key in [k for k, c in self.s.codes.items() if c.user_id == user_id]:
            if self.s.codes[key].created_at < before:
                del self.s.codes[key]
