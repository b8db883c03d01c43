"""The simulated YClients API (`/api/v1`): records by page and one by one, behind a token
check, YClients' rate limit and the injected faults."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from src.entrypoints.simulator.records import MOSCOW
from src.entrypoints.simulator.responses import error_body, respond, state_of

# The body of a real 401 (fixtures/error_401_unauthorized.json).
UNAUTHORIZED = b'{"success":false,"data":null,"meta":{"message":"Partner ID not specified"}}'
# A page cut off mid-record, as a proxy dropping the connection would leave it.
MALFORMED = b'{"success":true,"data":[{"id":601234501,"company_id":873456,"services":[{"id":1'
_AUTH = re.compile(r"^\s*Bearer\s+(?P<partner>[^,\s]+)\s*(?:,\s*User\s+(?P<user>\S+))?\s*$")


async def before_api_request(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """Log the request, check the tokens, then maybe inject a fault."""
    state = state_of(request)
    entry = state.log_request(
        request.method, request.url.path, request.url.query or "", request.headers.get("accept")
    )
    request.scope.setdefault("state", {})["sim_entry"] = entry
    if state.traffic.arrive():  # YClients' per-IP limit, when one is set (/_control/limits)
        entry.fault = "rate_limit"
        header = _seconds(state.traffic.config.retry_after)
        return respond(request, 429, error_body("Too Many Requests"), {"Retry-After": header})
    m = _AUTH.match(request.headers.get("authorization", ""))
    if m is None or m["partner"] != state.partner_token or m["user"] != state.user_token:
        return respond(request, 401, UNAUTHORIZED)
    fault = state.picker.next()
    entry.fault = fault
    if fault is None:
        return None
    if fault == "slow":
        await asyncio.sleep(state.faults.slow_seconds)
        return None  # then answered normally, too late for a client with a short timeout
    if fault == "malformed":
        return respond(request, 200, MALFORMED)
    if fault == "429":
        return respond(request, 429, error_body("Too Many Requests"))
    if fault == "429_retry_after":
        header = _seconds(state.faults.retry_after)
        return respond(request, 429, error_body("Too Many Requests"), {"Retry-After": header})
    return respond(request, int(fault), error_body("Internal server error"))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _company_refused(request: Request[Any, Any, Any], company_id: int) -> Response[bytes] | None:
    """403 for a company outside the simulator's list (when it has one), as YClients answers
    a company the user has no rights in (the body seen in the wild:
    docs/yclients/CONTRACT.md §6)."""
    companies = state_of(request).companies
    if companies is None or company_id in companies:
        return None
    return respond(request, 403, error_body("No company management rights"))


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


@get("/records/{company_id:int}", sync_to_thread=False)
def list_records(request: Request[Any, Any, Any], company_id: FromPath[int]) -> Response[bytes]:
    """`GET /records/{company_id}`: page/count/start_date/end_date/changed_after/
    changed_before/with_deleted."""
    state = state_of(request)
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
    return respond(request, 200, body)


@get("/record/{company_id:int}/{record_id:int}", sync_to_thread=False)
def get_record(
    request: Request[Any, Any, Any], company_id: FromPath[int], record_id: FromPath[int]
) -> Response[bytes]:
    """`GET /record/{company_id}/{record_id}`; a deleted record comes with `deleted: true`
    (what YClients does here is undocumented)."""
    state = state_of(request)
    refused = _company_refused(request, company_id)
    if refused is not None:
        return refused
    if record_id in state.faults.fail_record_ids:
        return respond(request, 500, error_body("Internal server error"))
    if state.store.get(company_id, record_id) is None:
        return respond(request, 404, error_body("Запись не найдена"))
    body = b'{"success":true,"data":%s,"meta":[]}' % state.store.record_json(record_id)
    return respond(request, 200, body)
