"""Bodies of the health probes."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct


class HealthOut(Struct):
    status: Literal["ok"]


class ReadyOut(Struct):
    status: Literal["ok"]
    checks: dict[str, str]
