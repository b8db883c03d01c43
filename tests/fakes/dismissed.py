"""In-memory dismissed clients (`DismissedClientRepository`)."""

from __future__ import annotations

from src.domain.dismissed import ClientKey, DismissedClient
from tests.fakes.store import Store


class FakeDismissedClients:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, client: DismissedClient) -> bool:
        if client.key in self.s.dismissed:
            return False
        self.s.dismissed[client.key] = client
        return True

    async def remove(self, key: ClientKey) -> bool:
        return self.s.dismissed.pop(key, None) is not None
