"""What route handlers receive by injection: the use-case group their router provides, and
the caller.

Each router declares the groups its handlers use (`dependencies=provide("accounts")`); a
handler names its group as a parameter (`accounts: AccountsDep`). The whole container stays
in the application state; the console's router still provides it as `container`
(`CONTAINER`) for pages that have not moved to their groups yet, and the API's routers behind
the Bearer token provide the caller (`CALLER`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from src.domain.user import User
from src.entrypoints.bootstrap import Container
from src.entrypoints.wiring import groups

UseCases = NamedDependency[Container]
"""A handler's `container` parameter: every group (console pages not yet moved)."""
Caller = NamedDependency[User]
"""A handler's `me` parameter: the authenticated user."""
AccessDep = NamedDependency[groups.Access]
AccountsDep = NamedDependency[groups.Accounts]
AdminDep = NamedDependency[groups.Admin]
BookingsDep = NamedDependency[groups.Bookings]
ConsoleDep = NamedDependency[groups.Console]
RedemptionsDep = NamedDependency[groups.Redemptions]
SalonAdminDep = NamedDependency[groups.SalonAdmin]
WalletDep = NamedDependency[groups.Wallet]
YClientsDep = NamedDependency[groups.YClients]


def container_of(state: State) -> Container:
    """The application's container (guards and hooks, which get no injection)."""
    return state.container  # type: ignore[no-any-return]


def provide_container(state: State) -> Container:
    return container_of(state)


def provide_me(request: Request[User, Any, Any]) -> User:
    """The authenticated caller. Member routes read only this user's data."""
    return request.user


def _provider(group: str) -> Provide:
    def provide_group(state: State) -> Any:
        return getattr(container_of(state), group)

    return Provide(provide_group, sync_to_thread=False)


_PROVIDERS = {group: _provider(group) for group in groups.GROUPS}


def provide(*names: str) -> dict[str, Provide]:
    """A router's `dependencies`: the named groups (fields of `Container`)."""
    return {name: _PROVIDERS[name] for name in names}


CALLER = {"me": Provide(provide_me, sync_to_thread=False)}
CONTAINER = {"container": Provide(provide_container, sync_to_thread=False)}
