"""The webhook URL a salon pastes into YClients (API, console and CLI show the same one)."""

from __future__ import annotations

from urllib.parse import quote

from src.entrypoints.settings import Settings

WEBHOOK_PATH = "/api/v1/yclients/webhook"


def public_base_url(settings: Settings, request_base: str | None = None) -> str:
    """PUBLIC_URL when set; else the address the request came to; else HOST:PORT."""
    base = settings.PUBLIC_URL or request_base or f"http://{settings.HOST}:{settings.PORT}"
    return base.rstrip("/")


def webhook_url(base: str, secret: str | None) -> str:
    """With the secret (shown once, right after create / rotate) or without it."""
    url = base.rstrip("/") + WEBHOOK_PATH
    return f"{url}?secret={quote(secret, safe='')}" if secret else url
