"""Unique client codes: issued with the booking form, or backfilled for everyone."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from src.application.errors import Conflict, NotFound
from src.application.ports.client_codes import ClientCodeGenerator
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.domain.client_codes import comment_line

log = logging.getLogger(__name__)

MAX_CODE_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class BookingForm:
    unique_code: str
    comment: str  # exactly "Код клиента: XXXXXXXX"
    widget_url: str | None


async def ensure_code(uow: UnitOfWork, user_id: int, generate: ClientCodeGenerator) -> str:
    """The user's code, creating it if missing; a collision just draws another code."""
    for _ in range(MAX_CODE_ATTEMPTS):
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        if user.unique_code:
            return user.unique_code
        await uow.users.set_unique_code(user_id, generate())
    raise Conflict("could not find a free unique code; try again")


class IssueBookingForm:
    """What the app puts into the YClients booking form for this member."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, generate: ClientCodeGenerator, widget_url: str | None
    ) -> None:
        self.uow_factory = uow_factory
        self.generate = generate
        self.widget_url = widget_url

    async def __call__(self, user_id: int) -> BookingForm:
        async with self.uow_factory() as uow:
            code = await ensure_code(uow, user_id, self.generate)
            await uow.commit()
        return BookingForm(code, comment_line(code), self.widget_url)


class GenerateUniqueCodes:
    """The seed's `generate_unique_codes` script: fill missing codes only (idempotent)."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, generate: ClientCodeGenerator, batch: int = 500
    ) -> None:
        self.uow_factory = uow_factory
        self.generate = generate
        self.batch = batch

    async def __call__(self) -> int:
        filled = 0
        while True:
            async with self.uow_factory() as uow:
                ids = await uow.users.ids_without_code(self.batch)
                for user_id in ids:
                    await ensure_code(uow, user_id, self.generate)
                await uow.commit()
            filled += len(ids)
            if len(ids) < self.batch:
                break
        log.info("unique_codes_generated", extra={"filled": filled})
        return filled
