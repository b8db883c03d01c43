"""The one error body of every 4xx/5xx answer."""

from __future__ import annotations

from msgspec import Struct


class ErrorDetail(Struct, omit_defaults=True):
    """One thing wrong with the request: the field (or dependency) and why."""

    message: str
    name: str | None = None
    source: str | None = None  # body | query | path | header | dependency


class ErrorInfo(Struct, omit_defaults=True):
    code: str
    message: str
    status: int
    details: list[ErrorDetail] | None = None


class ErrorBody(Struct):
    """The one shape of every 4xx/5xx answer."""

    error: ErrorInfo
