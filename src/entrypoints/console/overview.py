"""The owner's overview (sync runs, webhook counts, switches) and starting a sync by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template

from src.domain.sync_run import RunStatus
from src.entrypoints.console.render import fragment, once, page
from src.entrypoints.web.dependencies import UseCases
from src.entrypoints.web.params import MAX_ID


async def _overview(container: UseCases) -> dict[str, Any]:
    view = await container.overview(container.settings.YCLIENTS_COMPANY_IDS)
    return {
        "companies": [{"id": cid, "runs": runs} for cid, runs in view.runs.items()],
        "inbox": view.inbox,
        "last_webhook": view.last_webhook,
        "switches": container.switches,
    }


@get("/overview")
async def overview(request: Request[Any, Any, Any], container: UseCases) -> Template:
    return page(request, "overview.html", **await _overview(container))


@dataclass
class OnceForm:
    once: str = ""


@post("/sync", status_code=200)
async def sync_now(
    request: Request[Any, Any, Any],
    container: UseCases,
    data: Annotated[OnceForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    async def start() -> dict[str, Any]:
        return {"ids": [r.id for r in await container.request_sync(trigger="manual")]}

    started = await once(request, container, data.once, data, start)  # refused: error_page
    runs = await container.sync_runs.runs(started["ids"])
    ids = ",".join(str(r.id) for r in runs)
    running = any(r.status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs)
    return fragment(
        "_sync_progress.html", runs=runs, error=None, ids=ids, running=running, fresh_button=True
    )


@get("/sync-runs")
async def sync_progress(
    container: UseCases, ids: Annotated[str, QueryParameter(max_length=200)]
) -> Template:
    wanted = [int(i) for i in ids.split(",") if i.isdigit() and 0 < int(i) <= MAX_ID][:20]
    runs = await container.sync_runs.runs(wanted)
    running = any(r.status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs)
    return fragment(
        "_sync_progress.html", runs=runs, error=None, ids=ids, running=running, fresh_button=True
    )
