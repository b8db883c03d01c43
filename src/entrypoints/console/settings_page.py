"""The settings page: loyalty levels, switches, staff rules, the webhook address."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get
from litestar.response import Template

from src.entrypoints.console.render import page
from src.entrypoints.console.staff_rules import staff_rules
from src.entrypoints.web.dependencies import UseCases


def mask(secret: str) -> str:
    """Enough to recognise it, not enough to use it."""
    return secret[:2] + "•" * 8 + secret[-2:] if len(secret) > 8 else "•" * 8


@get("/settings")
async def settings_page(request: Request[Any, Any, Any], container: UseCases) -> Template:
    settings = container.settings
    base = str(request.base_url).rstrip("/") + "/api/v1/yclients/webhook?secret="
    return page(
        request, "settings.html", levels=settings.LOYALTY_LEVELS, switches=container.switches,
        rules=staff_rules(request.app.state.console_words, settings),
        webhook_url=base + quote(settings.YCLIENTS_WEBHOOK_SECRET, safe=""),
        webhook_url_masked=base + mask(settings.YCLIENTS_WEBHOOK_SECRET),
    )  # fmt: skip
