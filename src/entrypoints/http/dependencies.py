"""What route handlers receive by injection: the container (every use case) and the caller."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from src.domain.user import User
from src.entrypoints.bootstrap import Container

UseCases = NamedDependency[Container]
"""A handler's `container` parameter: every use case."""
Caller = NamedDependency[User]
"""A handler's `me` parameter: the authenticated user."""


def provide_container(state: State) -> Container:
    return state.container  # type: ignore[no-any-return]


def provide_me(request: Request[User, Any, Any]) -> User:
    """The authenticated caller. Member routes read only this user's data."""
    return request.user


DEPENDENCIES = {
    "container": Provide(provide_container, sync_to_thread=False),
    "me": Provide(provide_me, sync_to_thread=False),
}
