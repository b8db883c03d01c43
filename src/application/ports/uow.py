"""The unit of work: one transaction over every repository."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from src.application.ports.app_state import AppStateRepository
from src.application.ports.bookings import BookingRepository
from src.application.ports.dismissed import DismissedClientRepository
from src.application.ports.expiry import ExpiryRepository
from src.application.ports.inbox import InboxRepository
from src.application.ports.ledger import LedgerRepository, LevelRepository
from src.application.ports.once import OnceKeyRepository
from src.application.ports.redemptions import RedemptionRepository
from src.application.ports.salons import SalonRepository
from src.application.ports.sync import QuarantineRepository, SyncRunRepository
from src.application.ports.users import UserRepository
from src.application.ports.verification_codes import VerificationCodeRepository


class UnitOfWork(Protocol):
    """One transaction. `async with uow:` rolls back unless `commit()` was called."""

    users: UserRepository
    bookings: BookingRepository
    ledger: LedgerRepository
    levels: LevelRepository
    redemptions: RedemptionRepository
    inbox: InboxRepository
    sync_runs: SyncRunRepository
    quarantine: QuarantineRepository
    app_state: AppStateRepository
    expiry: ExpiryRepository
    verification_codes: VerificationCodeRepository
    salons: SalonRepository
    once_keys: OnceKeyRepository
    dismissed_clients: DismissedClientRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Commit, then run what `after_commit` recorded (once; a commit that fails runs
        nothing)."""

    def after_commit(self, publish: Callable[[], None]) -> None:
        """Run `publish` once this transaction commits; dropped if it rolls back. Log lines
        (and the metrics fed by them) about what the transaction wrote go here, so a
        transaction retried after a conflict reports its writes once."""


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
