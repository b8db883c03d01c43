"""YClients ports: the records API (gateway) and the webhook decoder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from src.application.ports.request_budget import Priority
from src.domain.record import YClientsRecord


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record the gateway could not decode; it is counted and logged, its page goes on."""

    record_id: str | None
    field: str | None
    reason: str


@dataclass(slots=True)
class RecordPage:
    """Records of one page. `requests`: the YClients requests made since the previous page
    was yielded (this page's retries, pages read ahead, and a final page with no records:
    the gateway then yields a page with no records to report them)."""

    records: list[YClientsRecord]
    errors: list[RecordError] = field(default_factory=list)
    requests: int = 1


class YClientsGateway(Protocol):
    # `priority`: who waits on the requests (see request_budget.py): a page of a scheduled
    # sync is background, a record re-fetched for a webhook is interactive.
    def record_pages(
        self,
        company_id: int,
        start: date,
        end: date,
        changed_after: datetime | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[RecordPage]:
        """Pages of records dated in [start, end] (company-local dates, inclusive), deleted
        ones included; raises `GatewayError` if the window cannot be fetched completely."""
        ...

    async def get_record(
        self, company_id: int, record_id: int, *, priority: Priority = Priority.INTERACTIVE
    ) -> YClientsRecord | None: ...


@dataclass(frozen=True, slots=True)
class WebhookNotice:
    """The envelope of a YClients webhook: enough to store and route it."""

    company_id: int
    resource: str
    resource_id: int
    status: str  # create | update | delete


class WebhookDecoder(Protocol):
    def envelope(self, body: bytes) -> WebhookNotice:
        """Decode only the envelope. Raises `MalformedPayload` (not JSON / not an object) or
        `ValidationFailed` naming the missing or invalid fields."""
        ...

    def record(self, body: bytes) -> YClientsRecord | None:
        """The record in `data`, or None when `data` is missing or partial."""
        ...
