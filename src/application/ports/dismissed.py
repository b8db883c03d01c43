"""The dismissed-clients port: clients the desk marked "not a member" (src/domain/dismissed.py)."""

from __future__ import annotations

from typing import Protocol

from src.domain.dismissed import ClientKey, DismissedClient


class DismissedClientRepository(Protocol):
    async def add(self, client: DismissedClient) -> bool:
        """Remember the client; False if they were already (the first mark stays)."""
        ...

    async def remove(self, key: ClientKey) -> bool:
        """Forget the client; False if they were not remembered."""
        ...
