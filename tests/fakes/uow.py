"""The in-memory unit of work: a snapshot of the store, restored on rollback."""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import TracebackType
from typing import Self

from tests.fakes.app_state import FakeAppState
from tests.fakes.bookings import FakeBookings
from tests.fakes.expiry import FakeExpiry
from tests.fakes.inbox import FakeInbox
from tests.fakes.ledger import FakeLedger, FakeLevels
from tests.fakes.once import FakeOnceKeys
from tests.fakes.redemptions import FakeRedemptions
from tests.fakes.salons import FakeSalons
from tests.fakes.store import Store
from tests.fakes.sync import FakeQuarantine, FakeSyncRuns
from tests.fakes.users import FakeUsers
from tests.fakes.verification_codes import FakeVerificationCodes


class FakeUnitOfWork:
    """Works on the shared store; rollback (the default) restores the snapshot taken on enter."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.users = FakeUsers(store)
        self.bookings = FakeBookings(store)
        self.ledger = FakeLedger(store)
        self.levels = FakeLevels(store)
        self.redemptions = FakeRedemptions(store)
        self.inbox = FakeInbox(store)
        self.sync_runs = FakeSyncRuns(store)
        self.quarantine = FakeQuarantine(store)
        self.app_state = FakeAppState(store)
        self.expiry = FakeExpiry(store)
        self.verification_codes = FakeVerificationCodes(store)
        self.salons = FakeSalons(store)
        self.once_keys = FakeOnceKeys(store)
        self.committed = False
        self._snapshot: dict[str, object] | None = None
        self._after_commit: list[Callable[[], None]] = []

    async def __aenter__(self) -> Self:
        fields = (
            "users", "bookings", "accounts", "entries", "levels", "events", "runs", "quarantined",
            "redemptions", "app_state", "lot_expiries", "lot_reminders", "codes", "salons",
            "once_keys",
        )  # fmt: skip
        self._snapshot = {name: copy.deepcopy(getattr(self.store, name)) for name in fields}
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Like a database, work done after the last commit is rolled back too.
        if not self.committed or self._changed_since_commit():
            self._restore()
        self._after_commit.clear()

    def _changed_since_commit(self) -> bool:
        return any(getattr(self.store, n) != v for n, v in (self._snapshot or {}).items())

    async def commit(self) -> None:
        self.committed = True
        self._snapshot = {
            name: copy.deepcopy(getattr(self.store, name)) for name in self._snapshot or {}
        }
        published, self._after_commit = self._after_commit, []
        for publish in published:
            publish()

    def after_commit(self, publish: Callable[[], None]) -> None:
        self._after_commit.append(publish)

    def _restore(self) -> None:
        for name, value in (self._snapshot or {}).items():
            setattr(self.store, name, copy.deepcopy(value))


class FakeUnitOfWorkFactory:
    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


class CountingUnitOfWorkFactory:
    """Wraps a factory and counts the units of work (transactions) opened through it."""

    def __init__(self, inner: FakeUnitOfWorkFactory) -> None:
        self.inner, self.opened = inner, 0

    def __call__(self) -> FakeUnitOfWork:
        self.opened += 1
        return self.inner()
