"""What every API body shares: ids, money as strings, pages.

Decimal values travel as JSON strings ("12.50") and times as ISO 8601 in UTC, as the mobile
clients expect; the shapes are the ones README.md documents: extend them, never rename.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from msgspec import Meta, Struct

from src.application.ports.paging import Page
from src.domain.money import quantize
from src.entrypoints.web.params import MAX_ID

T = TypeVar("T")


Id = Annotated[int, Meta(ge=1, le=MAX_ID)]


Money = Annotated[
    str,
    Meta(
        description="Decimal as a string, two places", examples=["12.50"], pattern=r"^-?\d+\.\d{2}$"
    ),
]


def money(value: Decimal) -> str:
    """A Decimal as the API writes it: a string with two places."""
    return str(quantize(value))


# PostgreSQL text cannot hold NUL characters: refused here rather than failing in the database.
NO_NUL = r"^[^\x00]*$"


class PageOut(Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def page_of(page: Page[Any], items: list[T]) -> PageOut[T]:
    return PageOut(items=items, total=page.total, limit=page.limit, offset=page.offset)
