"""Query parameters shared by several routes: pagination and case-insensitive choices."""

from __future__ import annotations

import enum
from typing import Annotated, TypeVar

from litestar.exceptions import ValidationException
from litestar.params import PathParameter, QueryParameter

MAX_LIMIT = 100
# PostgreSQL's OFFSET and our ids are bigints; larger values are refused with a 400.
MAX_OFFSET = 2**31 - 1

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size (1-100)")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Items to skip")]
PathId = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]

E = TypeVar("E", bound=enum.Enum)


def parse_choice(value: str | None, choices: type[E], name: str) -> E | None:
    """`value` as a member of `choices`, ignoring case; a 400 naming `name` otherwise."""
    if value is None or value == "":
        return None
    wanted = value.strip().upper()
    for member in choices:
        if str(member.value).upper() == wanted:
            return member
    allowed = "|".join(str(m.value).lower() for m in choices)
    raise ValidationException(
        detail=f"{name}: must be one of {allowed}",
        extra=[{"key": name, "source": "query", "message": f"must be one of {allowed} (any case)"}],
    )
