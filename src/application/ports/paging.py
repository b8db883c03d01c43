"""One page of a list: what every port's list query returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, with the total across all pages."""

    items: list[T]
    total: int
    limit: int
    offset: int
