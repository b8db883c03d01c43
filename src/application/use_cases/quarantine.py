"""Records set aside by a sync page or a webhook batch, as staff see them."""

from __future__ import annotations

from src.application.ports.paging import Page
from src.application.ports.uow import UnitOfWorkFactory
from src.domain.quarantine import QuarantinedRecord


class QuarantineQueries:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

    async def page(
        self, company_id: int | None, limit: int, offset: int
    ) -> Page[QuarantinedRecord]:
        """Newest first, optionally one company's: ids and reasons, never a record's data."""
        async with self.uow_factory() as uow:
            return await uow.quarantine.query(company_id, limit, offset)
