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

from litestar.types import Message, Scope

ALWAYS = {
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
NO_STORE = re.compile(r"^/admin(?!/static/)(/|$)|^/api/v1/auth/|^/api/v1/users/me/password$")
# Raw ASGI header pairs: every answer passes here, the webhook's thousands a second, and
# Litestar's header wrappers cost it 5 % of its throughput (bench/README.md).
_ALWAYS_RAW = [(name.encode(), value.encode()) for name, value in ALWAYS.items()]
_NO_STORE_RAW = (b"cache-control", b"no-store")


async def security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: Litestar calls it for every answer, also those its exception
    handling writes for errors raised in middleware (the JWT 401s). A header the answer
    already carries is kept (a page may set its own policy)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or ())
    present = {bytes(name).lower() for name, _ in headers}
    headers.extend(pair for pair in _ALWAYS_RAW if pair[0] not in present)
    if NO_STORE.search(scope.get("path", "")) is not None:
        headers = [pair for pair in headers if bytes(pair[0]).lower() != b"cache-control"]
        headers.append(_NO_STORE_RAW)
    message["headers"] = headers
