"""Console sessions: server-side, and only for signed-in admins.

Litestar's `ServerSideSessionBackend` keeps whatever session id the browser sends and writes
a store entry for every request, so an id an attacker planted in the browser became the
admin's signed-in session, and every anonymous request left an entry behind. This backend:

- trusts a cookie's id only when the store holds a session under it;
- gives a new random id on sign-in (`start_session`), deleting the entry the old id named;
- stores nothing for an empty session (anonymous requests, sign-out) and expires the cookie;
- keeps an entry for `idle_seconds` after the last request that used it (the idle limit);
  the absolute limit is checked by the guard (`auth.console_admin`) from the time of sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

_KNOWN_ID = "console_session_id"  # scope key: the id the store knew for this request
_ROTATE = "console_session_rotate"  # scope key: sign-in asked for a new id


def _scope(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], connection.scope)


def start_session(connection: ASGIConnection[Any, Any, Any, Any], data: dict[str, Any]) -> None:
    """Sign-in: the answer carries a new random session id holding `data`; the entry of the
    id the browser sent (if any) is deleted."""
    _scope(connection)[_ROTATE] = True
    connection.set_session(data)


class ConsoleSessionBackend(ServerSideSessionBackend):
    config: ConsoleSessionConfig

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        # Every value the browser sent under our name (a planted cookie with another path
        # arrives beside ours): the first one the store knows is the session.
        store = self.config.get_store_from_app(connection.scope["app"])
        for session_id in self._sent_ids(connection)[:4]:
            data = await self.get(session_id, store=store)
            if data is not None:
                _scope(connection)[_KNOWN_ID] = session_id
                return self.deserialize_data(data)
        return {}

    def _sent_ids(self, connection: ASGIConnection[Any, Any, Any, Any]) -> list[str]:
        found = []
        for header in connection.headers.getall("cookie", []):
            for pair in header.split(";"):
                name, _, value = pair.strip().partition("=")
                if name == self.config.key and 0 < len(value) <= 2 * self.config.session_id_bytes:
                    found.append(value)
        return found

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        """The id the store knows for this request, or '' (never the cookie's bare word)."""
        return str(_scope(connection).get(_KNOWN_ID) or "")

    async def set(self, session_id: str, data: bytes, store: Store) -> None:
        await store.set(session_id, data, expires_in=self.config.idle_seconds)

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        scope = _scope(connection)
        store = self.config.get_store_from_app(scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        known = scope.get(_KNOWN_ID)
        params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        if scope_session is Empty or not scope_session:
            if known:
                await self.delete(known, store=store)
            if self._sent_ids(connection):
                params.update(max_age=0, expires=0)
                expired = Cookie(value="", key=self.config.key, **params)
                headers.add("Set-Cookie", expired.to_header(header=""))
            return
        session_id = known
        if scope.get(_ROTATE) or not known:
            if known:
                await self.delete(known, store=store)
            session_id = self.generate_session_id()
            scope[_KNOWN_ID] = session_id
        assert session_id
        await self.set(session_id, self.serialize_data(scope_session, connection.scope), store)
        headers.add(
            "Set-Cookie",
            Cookie(value=session_id, key=self.config.key, **params).to_header(header=""),
        )


@dataclass
class ConsoleSessionConfig(ServerSideSessionConfig):
    _backend_class = ConsoleSessionBackend  # type: ignore[assignment]

    idle_seconds: int = field(default=3600)
    """A session unused this long is gone (the store entry's expiry, renewed on each use)."""
