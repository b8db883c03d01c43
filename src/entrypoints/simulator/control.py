"""The simulator's control API (`/_control`, no auth) for tests, demos and benchmarks:
records, webhooks, faults, limits and what was asked of it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, patch, post, put
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody

from src.entrypoints.simulator.faults import FaultConfig
from src.entrypoints.simulator.limits import LimitConfig
from src.entrypoints.simulator.responses import json_response, state_of
from src.entrypoints.simulator.state import NewRecord, RecordChanges
from src.entrypoints.simulator.webhooks import DeleteData


def _not_found(company_id: int, record_id: int) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no record {record_id} in company {company_id}")


@post("/records", sync_to_thread=False)
def create_record(request: Request[Any, Any, Any], data: JSONBody[NewRecord]) -> Response[bytes]:
    """Create a record (and send `status: create`); answers the full record."""
    return json_response(state_of(request).create_record(data), 201)


@patch("/records/{company_id:int}/{record_id:int}", sync_to_thread=False)
def update_record(
    request: Request[Any, Any, Any],
    company_id: FromPath[int],
    record_id: FromPath[int],
    data: JSONBody[RecordChanges],
) -> Response[bytes]:
    """Change attendance / services / comment / datetime / client (sends `status: update`)."""
    record = state_of(request).update_record(company_id, record_id, data)
    if record is None:
        raise _not_found(company_id, record_id)
    return json_response(record)


@delete("/records/{company_id:int}/{record_id:int}", status_code=200, sync_to_thread=False)
def delete_record(
    request: Request[Any, Any, Any],
    company_id: FromPath[int],
    record_id: FromPath[int],
    webhook: FromQuery[bool] = True,
) -> Response[bytes]:
    """Mark deleted (sends `status: delete`)."""
    record = state_of(request).delete_record(company_id, record_id, webhook=webhook)
    if record is None:
        raise _not_found(company_id, record_id)
    return json_response(record)


@get("/records/{company_id:int}/{record_id:int}", sync_to_thread=False)
def read_record(
    request: Request[Any, Any, Any], company_id: FromPath[int], record_id: FromPath[int]
) -> Response[bytes]:
    record = state_of(request).store.get(company_id, record_id)
    if record is None:
        raise _not_found(company_id, record_id)
    return json_response(record)


class GenerateIn(msgspec.Struct, kw_only=True):
    company_id: int
    count: int
    seed: int = 0
    start_date: date | None = None
    days: int = 60
    deleted_share: float = 0.03


@post("/generate", sync_to_thread=False)
def generate(request: Request[Any, Any, Any], data: JSONBody[GenerateIn]) -> Response[bytes]:
    """Add N deterministic synthetic records (no webhooks)."""
    ids = state_of(request).generate(
        data.company_id, data.count, seed=data.seed, start=data.start_date, days=data.days,
        deleted_share=data.deleted_share,
    )  # fmt: skip
    return json_response({"created": len(ids), "first_id": ids[0] if ids else None,
                  "last_id": ids[-1] if ids else None}, 201)  # fmt: skip


class WebhookIn(msgspec.Struct, kw_only=True):
    url: str | None
    duplicate: bool = False
    delete_data: DeleteData = "full"


@put("/webhook", sync_to_thread=False)
def set_webhook(request: Request[Any, Any, Any], data: JSONBody[WebhookIn]) -> Response[bytes]:
    """Where to POST webhooks (null: stop sending), twice or once, and the delete payload."""
    state_of(request).webhooks.configure(
        data.url, duplicate=data.duplicate, delete_data=data.delete_data
    )
    return json_response(data)


@get("/webhook/deliveries")
async def list_deliveries(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every webhook POST so far, after waiting for those in flight."""
    state = state_of(request)
    await state.webhooks.drain()
    return json_response(state.webhooks.deliveries)


@delete("/webhook/deliveries", sync_to_thread=False)
def clear_deliveries(request: Request[Any, Any, Any]) -> None:
    state_of(request).webhooks.deliveries.clear()


@post("/webhook/send")
async def send_webhook(request: Request[Any, Any, Any]) -> Response[bytes]:
    """POST the request body verbatim to the webhook URL (`?url=` overrides); a replay."""
    body = await request.body()
    url = request.query_params.get("url")
    try:
        delivery = await state_of(request).webhooks.send_raw(body, url)
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return json_response(delivery)


@put("/faults", sync_to_thread=False)
def set_faults(request: Request[Any, Any, Any], data: JSONBody[dict[str, Any]]) -> Response[bytes]:
    """Replace the fault configuration (see `FaultConfig`); the RNG restarts from `seed`."""
    try:
        faults = msgspec.convert(data, FaultConfig)
    except (msgspec.ValidationError, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    state_of(request).set_faults(faults)
    return json_response(faults)


@get("/faults", sync_to_thread=False)
def read_faults(request: Request[Any, Any, Any]) -> Response[bytes]:
    return json_response(state_of(request).faults)


@get("/requests", sync_to_thread=False)
def list_requests(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every YClients API request: arrival time (monotonic seconds), path, query, status."""
    return json_response([
        {"at": e.at, "method": e.method, "path": e.path, "query": e.query,
         "status": e.status, "fault": e.fault, "accept": e.accept}
        for e in state_of(request).requests
    ])  # fmt: skip


@delete("/requests", sync_to_thread=False)
def clear_requests(request: Request[Any, Any, Any]) -> None:
    state_of(request).requests.clear()


@post("/reset", sync_to_thread=False)
def reset(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Forget records, faults, the request log and deliveries (the webhook URL stays)."""
    state_of(request).reset()
    return json_response({"reset": True})


@get("/stats", sync_to_thread=False)
def stats(request: Request[Any, Any, Any]) -> Response[bytes]:
    state = state_of(request)
    return json_response({"records": len(state.store), "requests": len(state.requests),
                  "deliveries": len(state.webhooks.deliveries)})  # fmt: skip


class LimitsIn(msgspec.Struct, kw_only=True):
    """YClients' per-second limit (0 = off), the 429's Retry-After, the share of webhooks
    dropped (and the seed of that draw). Counters restart."""

    per_second: int = 0
    retry_after: float = 1.0
    webhook_loss: float = 0.0
    webhook_loss_seed: int = 0


@put("/limits", sync_to_thread=False)
def set_limits(request: Request[Any, Any, Any], data: JSONBody[LimitsIn]) -> Response[bytes]:
    """Enforce the per-second limit and drop webhooks; 5xx answers are `/faults`
    (e.g. `{"rate": 0.02, "kinds": {"500": 1, "503": 1}}`)."""
    state = state_of(request)
    try:
        config = LimitConfig(per_second=data.per_second, retry_after=data.retry_after)
        state.webhooks.set_loss(data.webhook_loss, data.webhook_loss_seed)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    state.traffic.configure(config)
    state.traffic.reset()
    return json_response(data)


@get("/traffic", sync_to_thread=False)
def read_traffic(request: Request[Any, Any, Any]) -> Response[bytes]:
    """API requests counted (total, 429s of the limit, the most in any one second, the
    per-second histogram), 5xx faults answered, webhook events sent and dropped."""
    state = state_of(request)
    faults = sum(1 for e in state.requests if e.fault and e.fault[0] == "5")
    return json_response({
        **state.traffic.snapshot(),
        "faults_5xx": faults,
        "webhook_events_sent": state.webhooks.sent_events,
        "webhook_events_dropped": state.webhooks.dropped,
    })  # fmt: skip


@delete("/traffic", sync_to_thread=False)
def clear_traffic(request: Request[Any, Any, Any]) -> None:
    """Zero the request counters (the limit and the loss rate stay)."""
    state_of(request).traffic.reset()


@get("/export", sync_to_thread=False)
def export_records(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every record (`?company_id=` for one company) in brief: what a soak run compares the
    service with. `price` is the sum of the services' `cost`."""
    raw = request.query_params.get("company_id")
    company = int(raw) if raw else None
    return json_response([
        {"id": r["id"], "company_id": r["company_id"], "attendance": r["attendance"],
         "deleted": r["deleted"], "price": sum((s["cost"] for s in r["services"]), Decimal(0)),
         "comment": r["comment"], "last_change_date": r["last_change_date"],
         "datetime": r["datetime"]}
        for r in state_of(request).store.records()
        if company is None or r["company_id"] == company
    ])  # fmt: skip


CONTROL_HANDLERS = [
    create_record, update_record, delete_record, read_record, generate, set_webhook,
    list_deliveries, clear_deliveries, send_webhook, set_faults, read_faults, list_requests,
    clear_requests, reset, stats, set_limits, read_traffic, clear_traffic, export_records,
]  # fmt: skip
