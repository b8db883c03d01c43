"""msgspec Structs for the YClients wire format (see docs/yclients/CONTRACT.md).

Only the fields we map are declared: msgspec skips unknown fields without building them,
which keeps decoding fast and makes us indifferent to fields whose shape drifts
(`custom_fields` as `{}` or `[]`, `visit_id` as string or int, `documents`, ...).

All Structs are frozen and untracked by the garbage collector (`gc=False`): decoded JSON
cannot hold reference cycles, and a page of 200 records would otherwise add thousands of
objects for the collector to walk.

Decoders run in lax mode (`strict=False`) because the documented types drift: ids come
as ints or numeric strings, 0/1 flags as ints or bools. Datetimes accept both `+03:00`
and `+0300` offsets (msgspec parses both). A record that still fails these types (a phone
as a JSON number, `""` for a list, `[]` for an object) is decoded again field by field by
drift.py (called from mapping.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec

# A datetime that must carry an offset: a naive one cannot be placed in UTC.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class WireService(msgspec.Struct, frozen=True, gc=False):
    # `cost` is the final price of the line (after discount). msgspec builds a Decimal
    # straight from the JSON number's text (`2500.0` → Decimal("2500.0")), so no binary
    # float ever sits between the wire and the money.
    cost: Decimal
    title: str | None = None


class WireStaff(msgspec.Struct, frozen=True, gc=False):
    name: str | None = None


class WireClient(msgspec.Struct, frozen=True, gc=False):
    # The doc says `client` "may be an empty object": every field is optional.
    name: str | None = None
    surname: str | None = None
    display_name: str | None = None
    phone: str | None = None
    email: str | None = None


class WireRecord(msgspec.Struct, frozen=True, gc=False):
    id: int
    company_id: int
    datetime: AwareDatetime
    services: list[WireService] | None = None
    staff: WireStaff | None = None
    client: WireClient | None = None
    comment: str | None = None
    attendance: int | None = None
    # Altegio and older YClients records carry the visit's status here; a record without
    # `attendance` takes its status from it [INFERRED: same enum as `attendance`].
    visit_attendance: int | None = None
    deleted: bool = False
    create_date: AwareDatetime | None = None
    last_change_date: AwareDatetime | None = None


class ListMeta(msgspec.Struct, frozen=True, gc=False):
    total_count: int = 0
    page: int | None = None


class ErrorMeta(msgspec.Struct, frozen=True, gc=False):
    message: str | None = None


class RecordListEnvelope(msgspec.Struct, frozen=True, gc=False):
    """`GET /records/{company_id}`, fast path: the whole page decoded in one go."""

    success: bool
    data: list[WireRecord] | None = None
    meta: ListMeta | None = None


class RawRecordListEnvelope(msgspec.Struct, frozen=True, gc=False):
    """The same page with records left undecoded, to decode them one by one when the fast
    path failed (one malformed record must not sink its page)."""

    success: bool
    data: list[msgspec.Raw] | None = None
    meta: ListMeta | None = None


# msgspec.Raw cannot be part of a union: an absent or null value is the raw text `null`.
NULL = msgspec.Raw(b"null")


def is_null(raw: msgspec.Raw) -> bool:
    return bytes(raw) == b"null"


class RecordEnvelope(msgspec.Struct, frozen=True, gc=False):
    """`GET /record/{company_id}/{record_id}`; `meta` is `[]` or `{}` there, so ignored."""

    success: bool
    data: msgspec.Raw = NULL


class ErrorEnvelope(msgspec.Struct, frozen=True, gc=False):
    """`{success: false, data: null, meta: {message}}`."""

    success: bool | None = None
    meta: ErrorMeta | None = None


class RecordId(msgspec.Struct, frozen=True, gc=False):
    """Just the id of a record that failed to decode, to say which one it was."""

    id: int | str | None = None


class WebhookEnvelope(msgspec.Struct, frozen=True, gc=False):
    """A webhook body: `{company_id, resource, resource_id, status, data}`.

    `data` stays raw: the envelope is stored and routed even when `data` is partial
    (the contract does not document the delete payload)."""

    company_id: int
    resource: Annotated[str, msgspec.Meta(min_length=1)]
    resource_id: int
    status: Annotated[str, msgspec.Meta(min_length=1)]
    data: msgspec.Raw = NULL


class CompanyOnly(msgspec.Struct, frozen=True, gc=False):
    """Just the company of a webhook body, to name it when the delivery is rejected."""

    company_id: int | None = None


page_decoder = msgspec.json.Decoder(RecordListEnvelope, strict=False)
raw_page_decoder = msgspec.json.Decoder(RawRecordListEnvelope, strict=False)
record_envelope_decoder = msgspec.json.Decoder(RecordEnvelope, strict=False)
record_decoder = msgspec.json.Decoder(WireRecord, strict=False)
record_id_decoder = msgspec.json.Decoder(RecordId, strict=False)
error_decoder = msgspec.json.Decoder(ErrorEnvelope, strict=False)
webhook_decoder = msgspec.json.Decoder(WebhookEnvelope, strict=False)
company_decoder = msgspec.json.Decoder(CompanyOnly, strict=False)
