"""Who may use the console: a server-side session holding an admin's id.

The role is read from the database on every request, so a demoted admin is out at once."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from src.domain.user import Role, User
from src.entrypoints.bootstrap import Container

SESSION_USER = "admin_id"
PUBLIC = "console_public"  # handler opt: reachable without signing in (the sign-in form)


class SignInRequired(Exception):
    """No (valid) console session: the answer is a redirect to the sign-in page."""


async def console_admin(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: a signed-in admin, kept in `connection.state.admin` for the handlers."""
    if handler.opt.get(PUBLIC):
        return
    user_id = connection.session.get(SESSION_USER) if connection.session else None
    if not isinstance(user_id, int):
        raise SignInRequired
    container: Container = connection.app.state.container
    async with container.uow_factory() as uow:
        user = await uow.users.get(user_id)
    if user is None:
        connection.clear_session()
        raise SignInRequired
    if user.role is not Role.ADMIN:
        raise PermissionDeniedException("this page needs the admin role")
    connection.state.admin = user


def signed_in_admin(connection: ASGIConnection[Any, Any, Any, Any]) -> User:
    return connection.state.admin  # type: ignore[no-any-return]
