"""Who the client is behind a reverse proxy: uvicorn's proxy-headers support, from a setting.

Without it every request comes from the proxy's address, so the per-address limits
(registration, login, password reset) count all clients together. Only the proxies named in
FORWARDED_ALLOW_IPS are believed: a client talking to us directly could otherwise pick its
own address with an X-Forwarded-For header."""

from __future__ import annotations

from typing import Any

from src.entrypoints.settings import Settings


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run / uvicorn.Config keyword arguments for FORWARDED_ALLOW_IPS."""
    trusted = (settings.FORWARDED_ALLOW_IPS or "").strip()
    if not trusted:
        # uvicorn would otherwise read FORWARDED_ALLOW_IPS from the environment itself (or
        # trust 127.0.0.1): the setting alone decides.
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}
