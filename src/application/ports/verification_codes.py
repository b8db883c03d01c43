"""The verification codes port: codes sent to confirm an email or a phone."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from src.domain.verification import Purpose, VerificationCode


class VerificationCodeRepository(Protocol):
    async def add(self, code: VerificationCode) -> VerificationCode: ...

    async def lock_latest(self, user_id: int, purpose: Purpose) -> VerificationCode | None:
        """The member's newest code for `purpose` (older ones are dead), locked until commit."""
        ...

    async def save(self, code: VerificationCode) -> None:
        """Write `attempts` and `consumed_at`."""
        ...

    async def of_user_since(
        self, user_id: int, purpose: Purpose, since: datetime
    ) -> list[VerificationCode]:
        """The member's codes of `purpose` created at or after `since` (limits and tries)."""
        ...

    async def delete_before(self, user_id: int, before: datetime) -> None:
        """Forget the member's codes created before `before` (the table stays small)."""
        ...
