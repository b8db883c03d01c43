"""Records as salons really send them (`mapping.py` calls this for a record its typed
decoder refused).

Real YClients and Altegio payloads drift from the documented types: a client's phone as a
JSON number, numbers and flags as strings, `""` where a list is documented, `[]` (PHP's
empty array) where an object is. A refused record is decoded again as plain JSON and each
field we map is read on its own terms:
  - a field the service does not need (staff and client names, service titles) is
    ignored when it has a wrong type;
  - a field it needs (ids, times, status, costs, deleted, the contacts and the comment used
    for linking) is coerced when the meaning is unambiguous, otherwise the record is a
    per-record error naming the field (its page goes on).
Fields we do not map are never looked at. Only refused records take this path, so a
well-formed page keeps the fast one.
"""

from __future__ import annotations

import re
from decimal import Decimal

import msgspec

json_any = msgspec.json.Decoder(float_hook=Decimal)  # numbers keep their exact text
_EMPTY: tuple[object, ...] = (None, "", [], {})
_TRUE_TEXT = {"1": True, "true": True, "0": False, "false": False}


class Refused(Exception):
    """A field the tolerant reading cannot take (`field`, `reason`)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def tolerant_record(raw: dict[str, object]) -> dict[str, object]:
    clean: dict[str, object] = {
        "id": _integer(raw.get("id"), "id", required=True),
        "company_id": _integer(raw.get("company_id"), "company_id", required=True),
        "datetime": raw.get("datetime"),
        "services": _services_list(raw.get("services")),
        "staff": _staff(raw.get("staff")),
        "client": _client_object(raw.get("client")),
        "comment": _comment(raw.get("comment")),
        "attendance": _integer(raw.get("attendance"), "attendance"),
        "visit_attendance": _integer(raw.get("visit_attendance"), "visit_attendance"),
        "deleted": _flag(raw.get("deleted"), "deleted"),
        # `""` for a time is "not given" [INFERRED]; then create_date stands in (to_domain).
        "create_date": raw.get("create_date") or None,
        "last_change_date": raw.get("last_change_date") or None,
    }
    return {k: v for k, v in clean.items() if v is not None}


def kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | Decimal) else "null"
    )


def _integer(value: object, field: str, *, required: bool = False) -> int | None:
    """An int from an int, an integral number (`1.0`) or a numeric string; `""`/null is
    absent. A boolean is refused: `true` for an id or an attendance means nothing sure."""
    if value is None or value == "":
        if required:
            raise Refused(field, "missing")
        return None
    if isinstance(value, bool):
        raise Refused(field, f"expected a number, got {kind(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        return int(value)
    raise Refused(field, f"expected a whole number, got {kind(value)}")


def _flag(value: object, field: str) -> bool:
    """`deleted`: booleans, 0/1, "0"/"1"/"true"/"false"; null and `""` (PHP's false cast to
    text) are false. Anything else is refused: guessing a deletion moves points."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_TEXT:
        return _TRUE_TEXT[value.strip().lower()]
    raise Refused(field, f"expected a flag (true/false, 0/1), got {kind(value)}")


def _optional_text(value: object) -> str | None:
    """Display text we only show (names, titles): a number reads as text, anything else
    (a list, an object, a boolean) is ignored."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return None


def _contact_text(value: object, field: str, *, numbers: bool = True) -> str | None:
    """Text used for linking (phone, email, comment): a number is its digits (a phone sent
    as a JSON number, 79161234567) where `numbers`; empty is absent; a list, an object or a
    boolean is refused, since a member could be linked or missed on a guess."""
    if value in _EMPTY:
        return None
    if isinstance(value, str):
        return value
    if not numbers:
        raise Refused(field, f"expected text, got {kind(value)}")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.is_finite():
        return str(int(value))  # `79161234567.0`: the same digits
    raise Refused(field, f"expected text, got {kind(value)}")


def _comment(value: object) -> str | None:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)  # a note that is just a number: no client code in it, but kept
    return _contact_text(value, "comment")


def _services_list(value: object) -> list[dict[str, object]]:
    """`""`, null, `[]`, `{}`: no services. An object whose values are service objects is
    read as their list: PHP encodes an array with gaps in its keys that way [INFERRED]."""
    if value in _EMPTY:
        return []
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        value = list(value.values())
    if not isinstance(value, list):
        raise Refused("services", f"expected a list of services, got {kind(value)}")
    lines = []
    for i, line in enumerate(value):
        if not isinstance(line, dict):
            raise Refused(f"services[{i}]", f"expected a service object, got {kind(line)}")
        cost = line.get("cost")
        # The cost earns points: a number or a numeric string, nothing guessed [DOC: number].
        if cost is None or cost == "" or isinstance(cost, bool | list | dict):
            raise Refused(f"services[{i}].cost", f"expected a number, got {kind(cost)}")
        lines.append({"cost": cost, "title": _optional_text(line.get("title"))})
    return lines


def _staff(value: object) -> dict[str, object] | None:
    # Only the master's name is kept, for display: any other shape is no staff.
    if isinstance(value, dict):
        return {"name": _optional_text(value.get("name"))}
    return None


def _client_object(value: object) -> dict[str, object] | None:
    """`[]`, `""`, null: no client (PHP's empty array where the doc has an object). A
    non-empty list is refused: which of its entries is the client is a guess."""
    if value in _EMPTY:
        return None
    if not isinstance(value, dict):
        raise Refused("client", f"expected an object, got {kind(value)}")
    return {
        "name": _optional_text(value.get("name")),
        "surname": _optional_text(value.get("surname")),
        "display_name": _optional_text(value.get("display_name")),
        "phone": _contact_text(value.get("phone"), "client.phone"),
        "email": _contact_text(value.get("email"), "client.email", numbers=False),
    }
