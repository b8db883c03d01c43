"""In-memory app state (`AppStateRepository`)."""

from __future__ import annotations

from datetime import datetime

from tests.fakes.store import Store


class FakeAppState:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def get(self, name: str) -> str | None:
        return self.s.app_state.get(name)

    async def put(self, name: str, value: str, at: datetime) -> None:
        self.s.app_state[name] = value
