"""The app state port: small named values kept between runs."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class AppStateRepository(Protocol):
    """Small named values the service remembers between runs (say, the loyalty switch)."""

    async def get(self, name: str) -> str | None: ...

    async def put(self, name: str, value: str, at: datetime) -> None: ...
