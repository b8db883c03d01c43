"""Why a booking was linked to nobody: what was tried, as data and as the stored text.

A booking keeps the reason as one English line (`unmatched_reason`, what the API shows):
`code AB12CD belongs to no user; phone …1234 matches no user`. `describe` writes that line
from the misses, `parse` reads it back, so the console can say the same in staff's words
without a second column. Parsing is linear: the line is split on "; " and each part is
matched by a fixed, anchored pattern."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass


class Tried(enum.StrEnum):
    CODE = "code"  # the client code in the comment belongs to nobody
    EMAIL = "email"
    PHONE = "phone"
    UNREADABLE_PHONE = "unreadable_phone"  # the booking's phone is not a number
    NO_CONTACTS = "no_contacts"  # no code, email or phone in the booking at all
    OTHER = "other"  # a line this module did not write (kept as it is)


@dataclass(frozen=True, slots=True)
class Miss:
    """One thing tried that linked nobody. `shown`: the value as it may be shown (a phone's
    last four digits); `holders`: how many members share it (0: nobody has it)."""

    tried: Tried
    shown: str = ""
    holders: int = 0


UNREADABLE_PHONE = "the client's phone is not a phone number we can read"
NO_CONTACTS = "no client code, email or phone in the booking"
MAX_REASON_LENGTH = 2000  # what `parse` looks at


def _line(miss: Miss) -> str:
    if miss.tried is Tried.CODE:
        return f"code {miss.shown} belongs to no user"
    if miss.tried is Tried.UNREADABLE_PHONE:
        return UNREADABLE_PHONE
    if miss.tried is Tried.NO_CONTACTS:
        return NO_CONTACTS
    if miss.tried is Tried.OTHER:
        return miss.shown
    if miss.holders:
        return f"{miss.tried.value} {miss.shown} is shared by {miss.holders} users"
    return f"{miss.tried.value} {miss.shown} matches no user"


def describe(misses: Sequence[Miss]) -> str:
    """The stored (and API) text: the misses' lines joined by "; "."""
    return "; ".join(_line(m) for m in misses)


_CODE = re.compile(r"code (\S+) belongs to no user")
_NOBODY = re.compile(r"(email|phone) (\S+) matches no user")
_SHARED = re.compile(r"(email|phone) (\S+) is shared by (\d{1,9}) users")


def parse(text: str | None) -> list[Miss]:
    """The misses a stored reason names; a part it does not know is kept as `OTHER`."""
    misses: list[Miss] = []
    for part in (text or "")[:MAX_REASON_LENGTH].split("; "):
        if not part:
            continue
        if part == UNREADABLE_PHONE:
            misses.append(Miss(Tried.UNREADABLE_PHONE))
        elif part == NO_CONTACTS:
            misses.append(Miss(Tried.NO_CONTACTS))
        elif found := _CODE.fullmatch(part):
            misses.append(Miss(Tried.CODE, found.group(1)))
        elif found := _NOBODY.fullmatch(part):
            misses.append(Miss(Tried(found.group(1)), found.group(2)))
        elif found := _SHARED.fullmatch(part):
            misses.append(Miss(Tried(found.group(1)), found.group(2), int(found.group(3))))
        else:
            misses.append(Miss(Tried.OTHER, part))
    return misses
