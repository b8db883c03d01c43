"""Headers every answer carries (the console and the API), set just before each answer is sent,
so error answers (401, 403, 429...) carry them too.

- `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no page of ours inside a frame
  (clickjacking the console's buttons);
- `X-Content-Type-Options: nosniff`: a body is what its Content-Type says;
- `Referrer-Policy: same-origin`: no console URL (member ids, searches) leaves in a Referer;
- `Cache-Control: no-store` on console pages (not its static files) and on auth answers
  (register, login, password change and reset: tokens and personal data), so no shared or
  browser cache keeps them."""

from __future__ import annotations

import re

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

ALWAYS = {
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
NO_STORE = re.compile(r"^/admin(?!/static/)(/|$)|^/api/v1/auth/|^/api/v1/users/me/password$")


async def security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: Litestar calls it for every answer, also those its exception
    handling writes for errors raised in middleware (the JWT 401s)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in ALWAYS.items():
        if name not in headers:
            headers[name] = value
    if NO_STORE.search(scope.get("path", "")) is not None:
        headers["cache-control"] = "no-store"
