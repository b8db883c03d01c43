"""In-memory YClients: records served in pages, webhook bodies decoded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

from src.application.ports.request_budget import Priority
from src.application.ports.yclients import RecordPage
from src.domain.booking import BookingKey
from src.domain.record import YClientsRecord


class FakeGateway:
    """Serves records from memory in pages, like the YClients list endpoint."""

    def __init__(self, page_size: int = 200) -> None:
        self.records: dict[BookingKey, YClientsRecord] = {}
        self.page_size = page_size
        self.requests = 0
        self.attempts_per_page = 1  # > 1: each page took retries (reported in `requests`)
        self.fail_with: Exception | None = None
        self.priorities: list[Priority] = []  # of every call, in order
        self.changed_after: list[datetime | None] = []  # of every `record_pages` call

    def put(self, *records: YClientsRecord) -> None:
        for r in records:
            self.records[BookingKey(r.company_id, r.record_id)] = r

    async def record_pages(
        self,
        company_id: int,
        start: date,
        end: date,
        changed_after: datetime | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[RecordPage]:
        self.priorities.append(priority)
        self.changed_after.append(changed_after)
        rows = sorted(
            (r for k, r in self.records.items()
             if k.company_id == company_id and start <= r.appointment_at.date() <= end
             and (changed_after is None or r.last_change_at > changed_after)),
            key=lambda r: r.record_id,
        )  # fmt: skip
        # Like the adapter: an empty window is one request, reported by a page with no records.
        for i in range(0, max(len(rows), 1), self.page_size):
            self.requests += self.attempts_per_page
            if self.fail_with is not None:
                raise self.fail_with
            yield RecordPage(rows[i : i + self.page_size], requests=self.attempts_per_page)

    async def get_record(
        self, company_id: int, record_id: int, *, priority: Priority = Priority.INTERACTIVE
    ) -> YClientsRecord | None:
        self.priorities.append(priority)
        self.requests += 1
        return self.records.get(BookingKey(company_id, record_id))


class FakeDecoder:
    """Decodes bodies made by `encode`: JSON envelope, record kept aside by body."""

    def __init__(self) -> None:
        self.records: dict[bytes, YClientsRecord | None] = {}

    def encode(
        self,
        record: YClientsRecord | None,
        status: str = "update",
        *,
        company_id: int = 873456,
        resource: str = "record",
        resource_id: int | None = None,
    ) -> bytes:
        import json

        rid = resource_id if resource_id is not None else (record.record_id if record else 0)
        body = json.dumps(
            {
                "company_id": company_id,
                "resource": resource,
                "resource_id": rid,
                "status": status,
                "v": record.last_change_at.isoformat() if record else None,
                "deleted": record.deleted if record else None,
            }
        ).encode()
        self.records[body] = record
        return body

    def envelope(self, body: bytes):  # type: ignore[no-untyped-def]
        import json

        from src.application.errors import MalformedPayload, ValidationFailed
        from src.application.ports.yclients import WebhookNotice

        try:
            data = json.loads(body)
        except ValueError as exc:
            raise MalformedPayload(f"body is not valid JSON: {exc}") from exc
        missing = [k for k in ("company_id", "resource", "resource_id", "status") if k not in data]
        if missing:
            raise ValidationFailed(f"missing required fields: {', '.join(missing)}")
        return WebhookNotice(
            data["company_id"], data["resource"], data["resource_id"], data["status"]
        )

    def record(self, body: bytes) -> YClientsRecord | None:
        return self.records.get(body)
