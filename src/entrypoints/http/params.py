"""Query parameters shared by several routes: pagination and case-insensitive choices
(`PathId` and the bounds come from src/entrypoints/web/params.py, shared with the console)."""

from __future__ import annotations

import enum
import re
from typing import Annotated, TypeVar

from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from src.entrypoints.web.params import MAX_OFFSET

MAX_LIMIT = 100

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size (1-100)")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Items to skip")]

E = TypeVar("E", bound=enum.Enum)


def any_case_pattern(choices: type[enum.Enum]) -> str:
    """A regex (ECMA and Python alike) matching the values of `choices` in any case, for the
    OpenAPI schema: `[Pp][Ee]...` since JSON Schema patterns have no case-insensitive flag."""

    def letters(value: str) -> str:
        return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in value)

    return "^(" + "|".join(letters(str(m.value)) for m in choices) + ")$"


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
