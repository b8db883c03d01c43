"""What the HTTP layer asks before a request: who is calling, and is the service ready."""

from __future__ import annotations

from dataclasses import dataclass

from src.application.ports.uow import UnitOfWorkFactory
from src.domain.user import User


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The user a token or session names, as stored now (None: deleted or never existed);
    the guards compare its password stamp and role."""

    uow_factory: UnitOfWorkFactory

    async def __call__(self, user_id: int) -> User | None:
        async with self.uow_factory() as uow:
            return await uow.users.get(user_id)


@dataclass(frozen=True, slots=True)
class CheckReadiness:
    """One cheap query through a unit of work: the database answers and the schema is
    migrated (/ready). Raises whatever the database raised."""

    uow_factory: UnitOfWorkFactory

    async def __call__(self) -> None:
        async with self.uow_factory() as uow:
            await uow.levels.all()
