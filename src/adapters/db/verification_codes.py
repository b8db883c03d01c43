"""VerificationCodeRepository on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from src.adapters.db.executor import Executor
from src.adapters.db.models import VerificationCodeRow, table
from src.domain.verification import Purpose, VerificationCode

codes = table(VerificationCodeRow)
_c = codes.c


def _to_code(row: Any) -> VerificationCode:
    return VerificationCode(
        purpose=Purpose(row.purpose),
        user_id=row.user_id,
        contact=row.contact,
        code_hash=row.code_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        attempts=row.attempts,
        consumed_at=row.consumed_at,
        id=row.id,
    )


class SqlVerificationCodes:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add(self, code: VerificationCode) -> VerificationCode:
        stmt = (
            codes.insert()
            .values(
                purpose=code.purpose.value,
                user_id=code.user_id,
                contact=code.contact,
                code_hash=code.code_hash,
                created_at=code.created_at,
                expires_at=code.expires_at,
                attempts=code.attempts,
                consumed_at=code.consumed_at,
            )
            .returning(*codes.c)
        )
        return _to_code((await self.db.execute(stmt)).one())

    async def lock_latest(self, user_id: int, purpose: Purpose) -> VerificationCode | None:
        stmt = (
            select(codes)
            .where(_c.user_id == user_id, _c.purpose == purpose.value)
            .order_by(_c.id.desc())
            .limit(1)
        )
        if self.db.is_postgres:
            stmt = stmt.with_for_update()
        row = (await self.db.execute(stmt)).first()
        return _to_code(row) if row else None

    async def save(self, code: VerificationCode) -> None:
        await self.db.execute(
            update(codes)
            .where(_c.id == code.id)
            .values(attempts=code.attempts, consumed_at=code.consumed_at)
        )

    async def of_user_since(
        self, user_id: int, purpose: Purpose, since: datetime
    ) -> list[VerificationCode]:
        stmt = select(codes).where(
            _c.user_id == user_id, _c.purpose == purpose.value, _c.created_at >= since
        )
        return [_to_code(r) for r in await self.db.execute(stmt)]

    async def delete_before(self, user_id: int, before: datetime) -> None:
        await self.db.execute(delete(codes).where(_c.user_id == user_id, _c.created_at < before))
