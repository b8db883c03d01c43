"""Received webhook events: the list by state, a stored body, replaying one."""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Template

from src.application.inbox.admin import RecordGone
from src.domain.inbox import EventState
from src.entrypoints.console.refusals import refuse_to
from src.entrypoints.console.render import HTML, PAGE, Id, Offset, done, page
from src.entrypoints.web.dependencies import UseCases


def pretty_body(body: bytes) -> str:
    """The stored body, indented when it is JSON, as received otherwise."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body.decode("utf-8", "replace")


@get("/webhooks")
async def webhooks(
    request: Request[Any, Any, Any],
    container: UseCases,
    state_: Annotated[str | None, QueryParameter(name="state", max_length=16)] = None,
    offset: Offset = 0,
) -> Template:
    chosen = next((s for s in EventState if s.value == (state_ or "").upper()), None)
    events = await container.webhook_events.page(chosen, PAGE, offset)
    return page(
        request, "webhooks.html", page_=events, state=chosen.value if chosen else "",
        states=list(EventState), pretty_body=pretty_body,
    )  # fmt: skip


@post("/webhooks/{event_id:int}/replay", status_code=200, media_type=HTML)
async def replay(
    request: Request[Any, Any, Any],
    container: UseCases,
    event_id: Id,
    state_: Annotated[str | None, QueryParameter(name="state", max_length=16)] = None,
) -> Any:
    words = request.app.state.console_words
    # Back to the list as it was filtered (the state the staff were looking at).
    chosen = next((s for s in EventState if s.value == (state_ or "").upper()), None)
    to = f"/admin/webhooks?state={chosen.value}" if chosen else "/admin/webhooks"
    refuse_to(request, to)
    try:
        await container.replay_webhook(event_id)
    except RecordGone as gone:  # replaying cannot help: said so, not as a generic failure
        return done(request, words("record_gone", record=gone.record_id), to, ok=False)
    return done(request, words("replayed", event=event_id), to)
