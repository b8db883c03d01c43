"""Whether a request was sent by HTMX (a partial swap), for any request object.

Exception handlers get the application's plain `Request`, not the console router's
`HTMXRequest` (and the API must not get `HTMXRequest`: it ties each request into a reference
cycle), so the header is read directly."""

from __future__ import annotations

from typing import Any

from litestar import Request


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for a request HTMX made (`HX-Request: true`)."""
    return request.headers.get("hx-request") == "true"
