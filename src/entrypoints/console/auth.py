"""Who may use the console: a server-side session holding an admin's id.

The session also holds the admin's password stamp and the time of sign-in. The user is read
from the database on every request: a changed password, a demotion, or a sign-in older than
ADMIN_SESSION_HOURS ends the session at once (the store entry is deleted)."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from src.domain.user import Role, User
from src.entrypoints.bootstrap import Container
from src.entrypoints.web.credentials import password_stamp

SESSION_USER = "admin_id"
SESSION_STAMP = "pwd"  # the password stamp the admin signed in under (as API tokens carry)
SESSION_SINCE = "since"  # when they signed in, POSIX seconds
SESSION_LIFETIME = "console_session_seconds"  # router opt: ADMIN_SESSION_HOURS in seconds
PUBLIC = "console_public"  # handler opt: reachable without signing in (the sign-in form)


class SignInRequired(Exception):
    """No (valid) console session: the answer is a redirect to the sign-in page."""


async def console_admin(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: a signed-in admin, kept in `connection.state.admin` for the handlers."""
    if handler.opt.get(PUBLIC):
        return
    session = connection.session or {}
    user_id, stamp, since = (session.get(k) for k in (SESSION_USER, SESSION_STAMP, SESSION_SINCE))
    if not isinstance(user_id, int):
        raise SignInRequired
    container: Container = connection.app.state.container
    lifetime = handler.opt[SESSION_LIFETIME]
    user = await container.access.current_user(user_id)
    if (
        user is None
        or not isinstance(stamp, str)
        or not hmac.compare_digest(stamp, password_stamp(user))
        or not isinstance(since, int | float)
        or container.clock.now().timestamp() - since > lifetime
    ):
        connection.clear_session()
        raise SignInRequired
    if user.role is not Role.ADMIN:
        connection.clear_session()  # demoted: this session is over
        raise PermissionDeniedException("this page needs the admin role")
    connection.state.admin = user


def session_for(user: User, now: datetime) -> dict[str, Any]:
    """What a console session holds for a signed-in admin."""
    return {
        SESSION_USER: user.id,
        SESSION_STAMP: password_stamp(user),
        SESSION_SINCE: now.timestamp(),
    }


def signed_in_admin(connection: ASGIConnection[Any, Any, Any, Any]) -> User:
    return connection.state.admin  # type: ignore[no-any-return]
