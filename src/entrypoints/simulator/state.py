"""Everything one simulated YClients holds: records, tokens, faults, request log, webhooks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from src.entrypoints.simulator import records, synthetic
from src.entrypoints.simulator.faults import FaultConfig, FaultPicker
from src.entrypoints.simulator.limits import LimitConfig, TrafficCounter
from src.entrypoints.simulator.records import MOSCOW, Staff
from src.entrypoints.simulator.store import RecordStore, bump
from src.entrypoints.simulator.webhooks import DeleteData, WebhookSender


class ServiceIn(msgspec.Struct):
    title: str
    cost: Decimal
    first_cost: Decimal | None = None


class ClientIn(msgspec.Struct):
    name: str = ""
    phone: str = ""
    email: str | None = ""
    surname: str = ""


class NewRecord(msgspec.Struct, kw_only=True):
    """Control API body for a new record; `datetime` naive means Moscow time."""

    company_id: int
    client: ClientIn | None = None
    comment: str = ""
    services: list[ServiceIn] = msgspec.field(default_factory=list)
    datetime: datetime | None = None  # default: tomorrow 12:00 Moscow
    attendance: int = 0
    staff_name: str | None = None
    id: int | None = None
    webhook: bool = True


class RecordChanges(msgspec.Struct, kw_only=True):
    """Control API body for a change; absent fields stay as they are."""

    attendance: int | None = None
    services: list[ServiceIn] | None = None
    comment: str | None = None
    datetime: datetime | None = None
    client: ClientIn | None = None
    staff_name: str | None = None
    webhook: bool = True


@dataclass(slots=True)
class RequestLogEntry:
    at: float  # time.monotonic() on arrival
    method: str
    path: str
    query: str
    accept: str | None = None
    status: int | None = None
    fault: str | None = None


class SimulatorState:
    """The state behind one simulator app. Tests in the same process use its methods
    directly; the control API calls the same methods."""

    def __init__(
        self,
        *,
        partner_token: str = "sim-partner-token",
        user_token: str = "sim-user-token",
        faults: FaultConfig | None = None,
        webhook_url: str | None = None,
        webhook_duplicate: bool = False,
        webhook_delete_data: DeleteData = "full",
        max_count: int = 1000,
        limits: LimitConfig | None = None,
        companies: frozenset[int] | None = None,
    ) -> None:
        self.partner_token = partner_token
        self.user_token = user_token
        self.max_count = max_count  # `count` above this is served as this many per page
        self.store = RecordStore()
        self.requests: list[RequestLogEntry] = []
        self.webhooks = WebhookSender(
            webhook_url, duplicate=webhook_duplicate, delete_data=webhook_delete_data
        )
        self.set_faults(faults or FaultConfig())
        self.traffic = TrafficCounter(limits)
        # None: any company id is served; else only these (others: 403, as YClients answers
        # a company the user has no rights in).
        self.companies = companies

    # --- configuration --------------------------------------------------------------------

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault configuration; the RNG restarts from its seed."""
        self.faults = faults
        self.picker = FaultPicker(faults)

    def reset(self) -> None:
        """Forget records, faults, the request log and deliveries (the webhook URL stays)."""
        self.store = RecordStore()
        self.requests.clear()
        self.webhooks.deliveries.clear()
        self.webhooks.set_loss(0.0)
        self.set_faults(FaultConfig())
        self.traffic = TrafficCounter()
        self.companies = None

    def log_request(
        self, method: str, path: str, query: str, accept: str | None = None
    ) -> RequestLogEntry:
        entry = RequestLogEntry(time.monotonic(), method, path, query, accept)
        self.requests.append(entry)
        return entry

    # --- records --------------------------------------------------------------------------

    def create_record(self, new: NewRecord) -> dict[str, Any]:
        now = datetime.now(MOSCOW)
        at = _aware(new.datetime) if new.datetime else _tomorrow_noon(now)
        rid = new.id if new.id is not None else self.store.next_id()
        changed = bump(None, now)
        record = records.record(
            record_id=rid,
            company_id=new.company_id,
            at=at,
            services=_services(new.services),
            client=_client(new.client, rid),
            comment=new.comment,
            attendance=new.attendance,
            created=now,
            changed=datetime.strptime(changed, "%Y-%m-%dT%H:%M:%S%z"),
            staff=_staff(new.staff_name),
        )
        self.store.put(record)
        if new.webhook:
            self.webhooks.record_event("create", record)
        return record

    def update_record(
        self, company_id: int, record_id: int, changes: RecordChanges
    ) -> dict[str, Any] | None:
        current = self.store.get(company_id, record_id)
        if current is None:
            return None
        record = dict(current)
        if changes.attendance is not None:
            a = changes.attendance
            record.update(attendance=a, visit_attendance=a, confirmed=1 if a in (1, 2) else 0)
            record.update(paid_full=1 if a == 1 else 0, payment_status=1 if a == 1 else 0)
        if changes.services is not None:
            record["services"] = _services(changes.services)
        if changes.comment is not None:
            record["comment"] = changes.comment
        if changes.datetime is not None:
            # Kept in the offset it was given: salons live in different zones.
            at = _aware(changes.datetime)
            record.update(datetime=records.iso_offset(at), date=records.local_date(at))
        if changes.client is not None:
            record["client"] = _client(changes.client, record_id)
        if changes.staff_name is not None:
            record["staff"] = dict(record["staff"], name=changes.staff_name)
        record["last_change_date"] = bump(current["last_change_date"])
        self.store.put(record)
        if changes.webhook:
            self.webhooks.record_event("update", record)
        return record

    def delete_record(
        self, company_id: int, record_id: int, *, webhook: bool = True
    ) -> dict[str, Any] | None:
        """Mark deleted (it stays visible with `with_deleted=1`) and send `status: delete`."""
        current = self.store.get(company_id, record_id)
        if current is None:
            return None
        record = dict(current, deleted=True, last_change_date=bump(current["last_change_date"]))
        self.store.put(record)
        if webhook:
            self.webhooks.record_event("delete", record)
        return record

    def generate(
        self,
        company_id: int,
        count: int,
        *,
        seed: int = 0,
        start: date | None = None,
        days: int = 60,
        now: datetime | None = None,
        deleted_share: float = 0.03,
    ) -> list[int]:
        """Add `count` synthetic records (no webhooks); returns their ids (consecutive).

        Deterministic for a given seed, start and now on a fresh store. Defaults: visits
        from 30 days ago over `days` days, `now` = today 00:00 Moscow."""
        now = now or datetime.combine(datetime.now(MOSCOW).date(), datetime.min.time(), MOSCOW)
        start = start or (now.astimezone(MOSCOW).date() - timedelta(days=30))
        first = self.store.reserve_ids(count)
        self.store.put_many(
            synthetic.generate(
                company_id=company_id, count=count, first_id=first, seed=seed, start=start,
                days=days, now=now, deleted_share=deleted_share,
            )
        )  # fmt: skip
        return list(range(first, first + count))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=MOSCOW) if moment.tzinfo is None else moment


def _tomorrow_noon(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), MOSCOW).replace(
        hour=12
    )


def _services(lines: list[ServiceIn]) -> list[dict[str, Any]]:
    return [
        records.service(11223300 + i, s.title, s.cost, s.first_cost) for i, s in enumerate(lines)
    ]


def _client(client: ClientIn | None, record_id: int) -> dict[str, Any] | None:
    if client is None:
        return None
    return records.client(
        145_000_000 + record_id % 1_000_000, client.name, client.surname, client.phone,
        client.email,
    )  # fmt: skip


def _staff(name: str | None) -> Staff:
    return records.DEFAULT_STAFF if name is None else Staff(1204999, name, "Мастер")
