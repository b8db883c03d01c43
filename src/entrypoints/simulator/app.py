"""The simulator's Litestar app: the YClients API under `/api/v1`, a control API under
`/_control` (no auth) for tests, demos and benchmarks."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, Router, delete, get, patch, post, put
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody

from src.entrypoints.simulator.faults import FaultConfig
from src.entrypoints.simulator.limits import LimitConfig
from src.entrypoints.simulator.records import MOSCOW
from src.entrypoints.simulator.state import NewRecord, RecordChanges, SimulatorState
from src.entrypoints.simulator.store import encoder
from src.entrypoints.simulator.webhooks import DeleteData

JSON = "application/json"
# The body of a real 401 (fixtures/error_401_unauthorized.json).
UNAUTHORIZED = b'{"success":false,"data":null,"meta":{"message":"Partner ID not specified"}}'
# A page cut off mid-record, as a proxy dropping the connection would leave it.
MALFORMED = b'{"success":true,"data":[{"id":601234501,"company_id":873456,"services":[{"id":1'
_AUTH = re.compile(r"^\s*Bearer\s+(?P<partner>[^,\s]+)\s*(?:,\s*User\s+(?P<user>\S+))?\s*$")


def create_simulator_app(
    state: SimulatorState | None = None, *, api_prefix: str = "/api/v1", debug: bool = False
) -> Litestar:
    """A simulated YClients. Pass `state` to share it with the test that drives the app."""
    state = state or SimulatorState()
    api = Router(
        path=api_prefix,
        route_handlers=[list_records, get_record],
        before_request=_before_api_request,
    )
    control = Router(
        path="/_control",
        route_handlers=[
            create_record, update_record, delete_record, read_record, generate, set_webhook,
            list_deliveries, clear_deliveries, send_webhook, set_faults, read_faults,
            list_requests, clear_requests, reset, stats, set_limits, read_traffic,
            clear_traffic, export_records,
        ],
    )  # fmt: skip

    async def close_webhooks() -> None:
        await state.webhooks.aclose()

    app = Litestar(
        route_handlers=[api, control],
        exception_handlers={HTTPException: _error_envelope},
        on_shutdown=[close_webhooks],
        debug=debug,
        openapi_config=None,
        logging_config=None,
    )
    app.state.simulator = state
    return app


# --- helpers ----------------------------------------------------------------------------------


def _state(request: Request[Any, Any, Any]) -> SimulatorState:
    return request.app.state.simulator  # type: ignore[no-any-return]


def _error(message: str) -> bytes:
    return encoder.encode({"success": False, "data": None, "meta": {"message": message}})


def _respond(
    request: Request[Any, Any, Any],
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    entry = request.scope.get("state", {}).get("sim_entry")
    if entry is not None:
        entry.status = status
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def _json(obj: Any, status: int = 200) -> Response[bytes]:
    return Response(encoder.encode(obj), status_code=status, media_type=JSON)


def _error_envelope(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    message = exc.detail
    extra = getattr(exc, "extra", None)
    if extra:
        message = f"{message}: {extra}"
    return _respond(request, exc.status_code, _error(str(message)))


async def _before_api_request(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """Log the request, check the tokens, then maybe inject a fault."""
    state = _state(request)
    entry = state.log_request(
        request.method, request.url.path, request.url.query or "", request.headers.get("accept")
    )
    request.scope.setdefault("state", {})["sim_entry"] = entry
    if state.traffic.arrive():  # YClients' per-IP limit, when one is set (/_control/limits)
        entry.fault = "rate_limit"
        header = _seconds(state.traffic.config.retry_after)
        return _respond(request, 429, _error("Too Many Requests"), {"Retry-After": header})
    m = _AUTH.match(request.headers.get("authorization", ""))
    if m is None or m["partner"] != state.partner_token or m["user"] != state.user_token:
        return _respond(request, 401, UNAUTHORIZED)
    fault = state.picker.next()
    entry.fault = fault
    if fault is None:
        return None
    if fault == "slow":
        await asyncio.sleep(state.faults.slow_seconds)
        return None  # then answered normally, too late for a client with a short timeout
    if fault == "malformed":
        return _respond(request, 200, MALFORMED)
    if fault == "429":
        return _respond(request, 429, _error("Too Many Requests"))
    if fault == "429_retry_after":
        header = _seconds(state.faults.retry_after)
        return _respond(request, 429, _error("Too Many Requests"), {"Retry-After": header})
    return _respond(request, int(fault), _error("Internal server error"))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _company_refused(request: Request[Any, Any, Any], company_id: int) -> Response[bytes] | None:
    """403 for a company outside the simulator's list (when it has one), as YClients answers
    a company the user has no rights in (the body seen in the wild:
    docs/yclients/CONTRACT.md §6)."""
    companies = _state(request).companies
    if companies is None or company_id in companies:
        return None
    return _respond(request, 403, _error("No company management rights"))


def _int_param(request: Request[Any, Any, Any], name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"`{name}` must be an integer") from None


def _date_param(request: Request[Any, Any, Any], name: str) -> str | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise HTTPException(status_code=422, detail=f"`{name}` must be YYYY-MM-DD") from None


def _changed(request: Request[Any, Any, Any], name: str) -> str | None:
    """`changed_after` / `changed_before` as local (Moscow) `YYYY-MM-DDTHH:MM:SS`; naive
    input is local time (the contract's format has no offset; Moscow is [INFERRED], as the
    simulator writes `last_change_date` in Moscow time)."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise HTTPException(
            status_code=422, detail=f"`{name}` must be YYYY-MM-DDTHH:MM:SS"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(MOSCOW)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


# --- the YClients API ------------------------------------------------------------------------


@get("/records/{company_id:int}", sync_to_thread=False)
def list_records(request: Request[Any, Any, Any], company_id: FromPath[int]) -> Response[bytes]:
    """`GET /records/{company_id}`: page/count/start_date/end_date/changed_after/
    changed_before/with_deleted."""
    state = _state(request)
    refused = _company_refused(request, company_id)
    if refused is not None:
        return refused
    page = _int_param(request, "page", 1)
    count = min(_int_param(request, "count", 50), state.max_count)
    if page < 1 or count < 1:
        raise HTTPException(status_code=422, detail="`page` and `count` must be positive")
    with_deleted = request.query_params.get("with_deleted") in ("1", "true")
    ids = state.store.query(
        company_id, _date_param(request, "start_date"), _date_param(request, "end_date"),
        _changed(request, "changed_after"), with_deleted, _changed(request, "changed_before"),
    )  # fmt: skip
    body = state.store.page_body(ids[(page - 1) * count : page * count], page, len(ids))
    to_front = state.faults.drift_mode == "tail_to_front"
    for _ in range(state.faults.drift):
        moved = state.store.reschedule_edge(company_id, to_front=to_front)
        if moved is not None:
            state.webhooks.record_event("update", moved)
    return _respond(request, 200, body)


@get("/record/{company_id:int}/{record_id:int}", sync_to_thread=False)
def get_record(
    request: Request[Any, Any, Any], company_id: FromPath[int], record_id: FromPath[int]
) -> Response[bytes]:
    """`GET /record/{company_id}/{record_id}`; a deleted record comes with `deleted: true`
    (what YClients does here is undocumented)."""
    state = _state(request)
    refused = _company_refused(request, company_id)
    if refused is not None:
        return refused
    if record_id in state.faults.fail_record_ids:
        return _respond(request, 500, _error("Internal server error"))
    if state.store.get(company_id, record_id) is None:
        return _respond(request, 404, _error("Запись не найдена"))
    body = b'{"success":true,"data":%s,"meta":[]}' % state.store.record_json(record_id)
    return _respond(request, 200, body)


# --- the control API ------------------------------------------------------------------------


def _not_found(company_id: int, record_id: int) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no record {record_id} in company {company_id}")


@post("/records", sync_to_thread=False)
def create_record(request: Request[Any, Any, Any], data: JSONBody[NewRecord]) -> Response[bytes]:
    """Create a record (and send `status: create`); answers the full record."""
    return _json(_state(request).create_record(data), 201)


@patch("/records/{company_id:int}/{record_id:int}", sync_to_thread=False)
def update_record(
    request: Request[Any, Any, Any],
    company_id: FromPath[int],
    record_id: FromPath[int],
    data: JSONBody[RecordChanges],
) -> Response[bytes]:
    """Change attendance / services / comment / datetime / client (sends `status: update`)."""
    record = _state(request).update_record(company_id, record_id, data)
    if record is None:
        raise _not_found(company_id, record_id)
    return _json(record)


@delete("/records/{company_id:int}/{record_id:int}", status_code=200, sync_to_thread=False)
def delete_record(
    request: Request[Any, Any, Any],
    company_id: FromPath[int],
    record_id: FromPath[int],
    webhook: FromQuery[bool] = True,
) -> Response[bytes]:
    """Mark deleted (sends `status: delete`)."""
    record = _state(request).delete_record(company_id, record_id, webhook=webhook)
    if record is None:
        raise _not_found(company_id, record_id)
    return _json(record)


@get("/records/{company_id:int}/{record_id:int}", sync_to_thread=False)
def read_record(
    request: Request[Any, Any, Any], company_id: FromPath[int], record_id: FromPath[int]
) -> Response[bytes]:
    record = _state(request).store.get(company_id, record_id)
    if record is None:
        raise _not_found(company_id, record_id)
    return _json(record)


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
    ids = _state(request).generate(
        data.company_id, data.count, seed=data.seed, start=data.start_date, days=data.days,
        deleted_share=data.deleted_share,
    )  # fmt: skip
    return _json({"created": len(ids), "first_id": ids[0] if ids else None,
                  "last_id": ids[-1] if ids else None}, 201)  # fmt: skip


class WebhookIn(msgspec.Struct, kw_only=True):
    url: str | None
    duplicate: bool = False
    delete_data: DeleteData = "full"


@put("/webhook", sync_to_thread=False)
def set_webhook(request: Request[Any, Any, Any], data: JSONBody[WebhookIn]) -> Response[bytes]:
    """Where to POST webhooks (null: stop sending), twice or once, and the delete payload."""
    _state(request).webhooks.configure(
        data.url, duplicate=data.duplicate, delete_data=data.delete_data
    )
    return _json(data)


@get("/webhook/deliveries")
async def list_deliveries(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every webhook POST so far, after waiting for those in flight."""
    state = _state(request)
    await state.webhooks.drain()
    return _json(state.webhooks.deliveries)


@delete("/webhook/deliveries", sync_to_thread=False)
def clear_deliveries(request: Request[Any, Any, Any]) -> None:
    _state(request).webhooks.deliveries.clear()


@post("/webhook/send")
async def send_webhook(request: Request[Any, Any, Any]) -> Response[bytes]:
    """POST the request body verbatim to the webhook URL (`?url=` overrides); a replay."""
    body = await request.body()
    url = request.query_params.get("url")
    try:
        delivery = await _state(request).webhooks.send_raw(body, url)
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return _json(delivery)


@put("/faults", sync_to_thread=False)
def set_faults(request: Request[Any, Any, Any], data: JSONBody[dict[str, Any]]) -> Response[bytes]:
    """Replace the fault configuration (see `FaultConfig`); the RNG restarts from `seed`."""
    try:
        faults = msgspec.convert(data, FaultConfig)
    except (msgspec.ValidationError, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    _state(request).set_faults(faults)
    return _json(faults)


@get("/faults", sync_to_thread=False)
def read_faults(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _json(_state(request).faults)


@get("/requests", sync_to_thread=False)
def list_requests(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every YClients API request: arrival time (monotonic seconds), path, query, status."""
    return _json([
        {"at": e.at, "method": e.method, "path": e.path, "query": e.query,
         "status": e.status, "fault": e.fault, "accept": e.accept}
        for e in _state(request).requests
    ])  # fmt: skip


@delete("/requests", sync_to_thread=False)
def clear_requests(request: Request[Any, Any, Any]) -> None:
    _state(request).requests.clear()


@post("/reset", sync_to_thread=False)
def reset(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Forget records, faults, the request log and deliveries (the webhook URL stays)."""
    _state(request).reset()
    return _json({"reset": True})


@get("/stats", sync_to_thread=False)
def stats(request: Request[Any, Any, Any]) -> Response[bytes]:
    state = _state(request)
    return _json({"records": len(state.store), "requests": len(state.requests),
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
    state = _state(request)
    try:
        config = LimitConfig(per_second=data.per_second, retry_after=data.retry_after)
        state.webhooks.set_loss(data.webhook_loss, data.webhook_loss_seed)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    state.traffic.configure(config)
    state.traffic.reset()
    return _json(data)


@get("/traffic", sync_to_thread=False)
def read_traffic(request: Request[Any, Any, Any]) -> Response[bytes]:
    """API requests counted (total, 429s of the limit, the most in any one second, the
    per-second histogram), 5xx faults answered, webhook events sent and dropped."""
    state = _state(request)
    faults = sum(1 for e in state.requests if e.fault and e.fault[0] == "5")
    return _json({
        **state.traffic.snapshot(),
        "faults_5xx": faults,
        "webhook_events_sent": state.webhooks.sent_events,
        "webhook_events_dropped": state.webhooks.dropped,
    })  # fmt: skip


@delete("/traffic", sync_to_thread=False)
def clear_traffic(request: Request[Any, Any, Any]) -> None:
    """Zero the request counters (the limit and the loss rate stay)."""
    _state(request).traffic.reset()


@get("/export", sync_to_thread=False)
def export_records(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every record (`?company_id=` for one company) in brief: what a soak run compares the
    service with. `price` is the sum of the services' `cost`."""
    raw = request.query_params.get("company_id")
    company = int(raw) if raw else None
    return _json([
        {"id": r["id"], "company_id": r["company_id"], "attendance": r["attendance"],
         "deleted": r["deleted"], "price": sum((s["cost"] for s in r["services"]), Decimal(0)),
         "comment": r["comment"], "last_change_date": r["last_change_date"],
         "datetime": r["datetime"]}
        for r in _state(request).store.records()
        if company is None or r["company_id"] == company
    ])  # fmt: skip
