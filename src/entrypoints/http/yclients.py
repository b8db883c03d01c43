"""YClients: the webhook receiver and the manual sync routes.

The webhook path is benchmarked: it checks the secret, reads the raw body and hands the bytes
to one use case (decode, hash, one insert, commit, enqueue). No ORM, no extra query.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from src.adapters.yclients.webhooks import webhook_company_id
from src.application.errors import Conflict, NotFound
from src.application.use_cases.once import fingerprint
from src.application.use_cases.salons import Admission
from src.domain.sync_run import SyncRun
from src.entrypoints.http.admin import IdempotencyKey
from src.entrypoints.http.auth import admin_only
from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.openapi import WebhookOperation
from src.entrypoints.http.params import Limit, Offset
from src.entrypoints.http.schemas.common import PageOut, page_of
from src.entrypoints.http.schemas.yclients import (
    RunStarted,
    SyncFinished,
    SyncRunOut,
    SyncStarted,
    WebhookAck,
    sync_run_out,
    webhook_ack,
)
from src.entrypoints.metrics import count_webhook
from src.entrypoints.web.dependencies import Caller, YClientsDep, container_of, provide
from src.entrypoints.web.params import MAX_ID, PathId
from src.entrypoints.wiring.groups import YClients

log = logging.getLogger(__name__)

WEBHOOK_MAX_BODY = 1024 * 1024  # 1 MiB: YClients sends a few KB

CompanyId = Annotated[
    int | None,
    QueryParameter(ge=1, le=MAX_ID, description="One configured company (default: every one)"),
]


@post(
    "/webhook",
    status_code=HTTP_200_OK,
    request_max_body_size=WEBHOOK_MAX_BODY,
    responses=error_responses(401, 413, 422),
    summary="YClients webhook (URL carries ?secret=...)",
    operation_class=WebhookOperation,
)
async def receive_webhook(
    request: Request[Any, Any, Any],
    secret: Annotated[str | None, QueryParameter(description="the salon's webhook secret")] = None,
) -> WebhookAck:
    """Stored durably in the inbox before the answer; processed by a task. 401 (nothing
    stored) without the salon's own secret (or the shared YCLIENTS_WEBHOOK_SECRET, for a
    salon that still accepts it), 413 over 1 MiB, 400 not JSON, 422 missing fields;
    resources other than records are stored as IGNORED. A paused or unknown salon's
    webhook (an unknown one needs the shared secret) is stored HELD and answered "held"."""
    # The group is read from the state rather than injected: dependency injection cost this
    # route a twentieth of its throughput (bench/README.md), and it is the one hot route.
    yclients: YClients = container_of(request.app.state).yclients
    body = await request.body()
    admission = await yclients.admit_webhook(webhook_company_id(body), secret)
    if admission is Admission.REJECT:
        await _log_rejected(request, "missing_secret" if not secret else "wrong_secret")
        raise NotAuthorizedException("missing or wrong webhook secret")
    accepted = await yclients.accept_webhook(body, hold=admission is Admission.HOLD)
    count_webhook(accepted.status)
    return webhook_ack(accepted)


async def _log_rejected(request: Request[Any, Any, Any], reason: str) -> None:
    """One warning line per refused delivery (also counted: `webhooks_rejected_total`), so a
    salon whose webhooks never arrive shows up in the log. Never the secret given: it may be
    the real one mistyped, or the previous one."""
    try:
        company_id = webhook_company_id(await request.body())
    except Exception:  # too large, or the client went away: the line still says who
        company_id = None
    client = request.client.host if request.client else None
    log.warning(
        "webhook_rejected", extra={"reason": reason, "client": client, "company_id": company_id}
    )


async def start_sync(
    yclients: YClients, company_id: int | None, actor_id: int = 0, key: str | None = None
) -> list[SyncRun]:
    """The 202 path: QUEUED runs handed to the task queue (taskiq, or in-process). With an
    Idempotency-Key, at most once per admin and key: a repeat gets the first request's runs."""
    if key is None:
        return await yclients.request_sync(company_id, "manual")

    async def run() -> str:
        runs = await yclients.request_sync(company_id, "manual")
        return json.dumps([r.id for r in runs])

    action = "api sync-bookings"
    ids = json.loads(
        await yclients.run_once(actor_id, key, action, fingerprint(action, company_id), run)
    )
    return await yclients.sync_runs.runs(ids)


async def sync_now(
    yclients: YClients, company_id: int | None, actor_id: int = 0, key: str | None = None
) -> list[SyncRun]:
    """`?wait=true`: the same queued task as the 202 path, then wait for its runs to finish
    (a run still going at SYNC_WAIT_SECONDS is answered as it stands)."""
    runs = await start_sync(yclients, company_id, actor_id, key)
    return await yclients.sync_runs.wait(
        [r.id for r in runs if r.id is not None], yclients.settings.SYNC_WAIT_SECONDS
    )


def _some(runs: list[SyncRun]) -> list[SyncRun]:
    if not runs:
        raise Conflict("no YClients company is configured (YCLIENTS_COMPANY_IDS)")
    return runs


_FINISHED = ResponseSpec(
    data_container=SyncFinished,
    description="`wait=true`: the finished run (first company) and all runs",
    generate_examples=False,
)


@post(
    "/sync-bookings",
    guards=[admin_only],
    status_code=HTTP_202_ACCEPTED,
    responses={
        **error_responses(401, 403, 409, 422, 502),
        HTTP_200_OK: _FINISHED,
    },
    summary="Start a sync now (admin)",
)
async def sync_bookings(
    yclients: YClientsDep,
    me: Caller,
    company_id: CompanyId = None,
    wait: FromQuery[bool] = False,
    idempotency_key: IdempotencyKey = None,
) -> Response[SyncStarted]:
    """202 `{run_id, status}` for a queued run (every configured company unless `company_id`
    names one; all runs in `runs`). `wait=true`: 200 with the finished run's counts. 409 when
    YCLIENTS_ENABLED=false."""
    if wait:
        finished = [
            sync_run_out(r)
            for r in _some(await sync_now(yclients, company_id, me.id, idempotency_key))
        ]
        first = finished[0]
        body = SyncFinished(
            **{f: getattr(first, f) for f in first.__struct_fields__}, runs=finished
        )
        return Response(body, status_code=HTTP_200_OK)  # type: ignore[return-value,arg-type]
    runs = _some(await start_sync(yclients, company_id, me.id, idempotency_key))
    started = [RunStarted(r.id, r.company_id, r.status.value) for r in runs]  # type: ignore[arg-type]
    return Response(
        SyncStarted(run_id=started[0].run_id, status=started[0].status, runs=started),
        status_code=HTTP_202_ACCEPTED,
    )


@get("/sync-runs", guards=[admin_only], responses=error_responses(401, 403), summary="Sync runs")
async def list_sync_runs(
    yclients: YClientsDep,
    company_id: CompanyId = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PageOut[SyncRunOut]:
    """Newest first."""
    page = await yclients.sync_runs.page(company_id, limit, offset)
    return page_of(page, [sync_run_out(r) for r in page.items])


@get(
    "/sync-runs/{run_id:int}",
    guards=[admin_only],
    responses=error_responses(401, 403, 404),
    summary="One sync run",
)
async def get_sync_run(yclients: YClientsDep, run_id: PathId) -> SyncRunOut:
    run = await yclients.sync_runs.get(run_id)
    if run is None:
        raise NotFound(f"sync run {run_id} does not exist")
    return sync_run_out(run)


# The webhook carries the salon's secret, not a Bearer token: a router of its own.
webhook_router = Router(
    "/api/v1/yclients",
    dependencies=provide("yclients"),
    route_handlers=[receive_webhook],
    tags=["yclients"],
)
yclients_router = Router(
    "/api/v1/yclients",
    dependencies=provide("yclients"),
    route_handlers=[sync_bookings, list_sync_runs, get_sync_run],
    tags=["yclients"],
)
