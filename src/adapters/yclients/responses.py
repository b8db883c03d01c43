"""What a YClients answer says beyond its records: the error message, `success: false`,
a 429's Retry-After."""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime

import msgspec

from src.adapters.yclients.mapping import DecodedPage, decode_page
from src.adapters.yclients.schema import error_decoder
from src.application.errors import GatewayError


def decoded_page(body: bytes) -> DecodedPage:
    page = decode_page(body)
    if not page.success:
        raise refused(body)
    return page


def refused(body: bytes) -> GatewayError:
    # HTTP 200 with `success: false` is still an error [S5]; it is not retried.
    return GatewayError(f"YClients answered success=false: {error_message(body)}")


def error_message(body: bytes) -> str:
    """YClients' own `meta.message`, or the start of the body when it has none."""
    try:
        message = error_decoder.decode(body).meta
    except msgspec.DecodeError:
        message = None
    if message is not None and message.message:
        return message.message
    text = body[:200].decode("utf-8", "replace").strip()
    return text or "(empty body)"


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return max(seconds, 0.0)
