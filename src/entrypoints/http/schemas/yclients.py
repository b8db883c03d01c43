"""Bodies of the YClients API: webhook acknowledgements and sync runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from msgspec import Struct

from src.application.inbox.accept import Accepted
from src.domain.sync_run import SyncRun
from src.entrypoints.http.schemas.common import Money, money


class WebhookAck(Struct):
    # held: stored, not processed: its salon is paused or unknown (processed on resume / add)
    status: Literal["accepted", "duplicate", "ignored", "held"]
    event_id: int


def webhook_ack(accepted: Accepted) -> WebhookAck:
    return WebhookAck(accepted.status, accepted.event_id)


RunStatusName = Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "SKIPPED"]


class RunStarted(Struct):
    """One company's run as the 202 answer reports it."""

    run_id: int
    company_id: int
    status: RunStatusName


class SyncStarted(Struct):
    """202: the first company's run at the top (the seed's shape), every company's in `runs`."""

    run_id: int
    status: RunStatusName
    runs: list[RunStarted]


class SyncRunOut(Struct, kw_only=True):
    run_id: int
    company_id: int
    trigger: str
    status: RunStatusName
    fetched: int
    created: int
    updated: int
    unchanged: int
    linked: int
    unmatched: int
    points_awarded: Money
    errors: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    kind: str = "full"  # full: the whole window; incremental: changes since the last run
    requests: int = 0  # YClients pages read


def sync_run_out(run: SyncRun) -> SyncRunOut:
    c = run.counts
    assert run.id is not None
    return SyncRunOut(
        run_id=run.id,
        company_id=run.company_id,
        trigger=run.trigger,
        status=run.status.value,  # type: ignore[arg-type]
        fetched=c.fetched,
        created=c.created,
        updated=c.updated,
        unchanged=c.unchanged,
        linked=c.linked,
        unmatched=c.unmatched,
        points_awarded=money(c.points_awarded),
        errors=c.errors,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        kind=str(run.kind),
        requests=c.requests,
    )


class SyncFinished(SyncRunOut, kw_only=True):
    """`?wait=true`: the first company's finished run at the top, every company's in `runs`."""

    runs: list[SyncRunOut]
