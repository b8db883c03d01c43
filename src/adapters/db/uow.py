"""The SQL unit of work: one connection and one transaction per `async with uow:`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.db.app_state import SqlAppState
from src.adapters.db.bookings import SqlBookings
from src.adapters.db.dismissed import SqlDismissedClients
from src.adapters.db.executor import Executor, storage_error
from src.adapters.db.expiry import SqlExpiry
from src.adapters.db.inbox import SqlInbox
from src.adapters.db.ledger import SqlLedger, SqlLevels
from src.adapters.db.once_keys import SqlOnceKeys
from src.adapters.db.quarantine import SqlQuarantine
from src.adapters.db.redemptions import SqlRedemptions
from src.adapters.db.salons import SqlSalons
from src.adapters.db.sync_runs import SqlSyncRuns
from src.adapters.db.users import SqlUsers
from src.adapters.db.verification_codes import SqlVerificationCodes
from src.domain.contacts import DEFAULT_REGION

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    """Rolls back on exit unless `commit()` was called. After a commit, further statements
    run in a new transaction (rolled back on exit unless committed again)."""

    def __init__(self, engine: AsyncEngine, phone_region: str = DEFAULT_REGION) -> None:
        self.engine = engine
        self._db = Executor()
        self.users = SqlUsers(self._db)
        self.bookings = SqlBookings(self._db, phone_region)
        self.ledger = SqlLedger(self._db)
        self.levels = SqlLevels(self._db)
        self.redemptions = SqlRedemptions(self._db)
        self.inbox = SqlInbox(self._db)
        self.sync_runs = SqlSyncRuns(self._db)
        self.quarantine = SqlQuarantine(self._db)
        self.app_state = SqlAppState(self._db)
        self.expiry = SqlExpiry(self._db)
        self.verification_codes = SqlVerificationCodes(self._db)
        self.salons = SqlSalons(self._db)
        self.once_keys = SqlOnceKeys(self._db)
        self.dismissed_clients = SqlDismissedClients(self._db)
        self._after_commit: list[Callable[[], None]] = []

    async def __aenter__(self) -> Self:
        if self._db.in_use:
            raise RuntimeError("this unit of work is already in use")
        # The transaction begins lazily with the first statement (SQLite: BEGIN IMMEDIATE).
        self._db.conn = await self.engine.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._db.conn
        self._db.conn = None
        self._after_commit.clear()  # recorded after the last commit: never committed
        try:
            # A failed rollback (say, a dropped connection) must not hide the error in flight.
            with contextlib.suppress(Exception) if exc is not None else contextlib.nullcontext():
                if conn.in_transaction():
                    await conn.rollback()
        finally:
            await conn.close()

    async def commit(self) -> None:
        try:
            await self._db.conn.commit()
        except DBAPIError as exc:
            translated = storage_error(exc)
            if translated is None:
                raise
            raise translated from exc
        finally:
            published, self._after_commit = self._after_commit, []
        for publish in published:
            try:
                publish()
            except Exception:  # the work is committed; a report about it must not undo that
                log.exception("after_commit_failed")

    def after_commit(self, publish: Callable[[], None]) -> None:
        self._after_commit.append(publish)


class SqlUnitOfWorkFactory:
    """`factory()` → a new `SqlUnitOfWork` on the engine: a connection and Core statements,
    never an ORM session (docs/STYLE.md, Persistence)."""

    def __init__(
        self,
        engine: AsyncEngine,
        phone_region: str = DEFAULT_REGION,  # SALON_REGION: how bookings' phones are read
    ) -> None:
        self.engine = engine
        self.phone_region = phone_region

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.phone_region)
