"""The client code generator: the code members write in a booking comment."""

from __future__ import annotations

from typing import Protocol


class ClientCodeGenerator(Protocol):
    def __call__(self) -> str: ...
