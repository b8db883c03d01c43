"""Authentication (JWT Bearer) and authorisation (roles) for the API.

A token's subject is the user id; its extras carry the role for clients to read. The role
that guards check is the one stored now (the user is loaded on every authenticated request),
so demoting an admin takes effect at once. A token also carries a stamp of the password hash
it was issued under (`pwd`): changing the password makes every older token a 401.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token
from litestar.types import Guard

from src.domain.user import Role, User
from src.entrypoints.bootstrap import Container
from src.entrypoints.settings import Settings
from src.entrypoints.web.credentials import password_stamp
from src.entrypoints.web.params import MAX_ID

JWT_ALGORITHM = "HS256"


async def retrieve_user(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> User | None:
    """The token's user as stored now; None (→ 401) if the subject is not a user any more."""
    try:
        user_id = int(token.sub)
    except ValueError:
        return None
    if not 0 < user_id <= MAX_ID:
        return None
    container: Container = connection.app.state.container
    user = await container.access.current_user(user_id)
    stamp = token.extras.get("pwd")
    if user is None or not isinstance(stamp, str):
        return None
    if not hmac.compare_digest(stamp, password_stamp(user)):
        return None  # issued before the password was changed
    return user


def make_jwt_auth(settings: Settings) -> JWTAuth[User, Token]:
    return JWTAuth[User, Token](
        retrieve_user_handler=retrieve_user,
        token_secret=settings.JWT_SECRET,
        algorithm=JWT_ALGORITHM,
        default_token_expiration=timedelta(minutes=settings.JWT_TTL_MINUTES),
        exclude_http_methods=["OPTIONS"],  # HEAD reads data: it needs a token like GET
        description="`Authorization: Bearer <access_token>` from POST /api/v1/auth/login.",
    )


def issue_token(settings: Settings, user: User) -> str:
    """A signed access token for `user` (login, the CLI, tests): the same secret, algorithm
    and lifetime as the API checks."""
    return make_jwt_auth(settings).create_token(
        identifier=str(user.id), token_extras={"role": user.role.value, "pwd": password_stamp(user)}
    )


def metrics_token_guard(token: str) -> Guard:
    """Guard for /metrics when METRICS_TOKEN is set: `Authorization: Bearer <token>`,
    compared in constant time (the metrics show traffic and failure rates)."""
    expected = token.encode()

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        scheme, _sep, given = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected):
            raise NotAuthorizedException("/metrics needs `Authorization: Bearer <METRICS_TOKEN>`")

    return guard


async def metrics_closed(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard for /metrics outside APP_ENV=dev without METRICS_TOKEN: always 401."""
    raise NotAuthorizedException(
        "/metrics needs METRICS_TOKEN outside APP_ENV=dev: set it and send "
        "`Authorization: Bearer <METRICS_TOKEN>`"
    )


async def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: the caller must have the admin role. (Async: Litestar would run a plain
    function on a worker thread.)"""
    user = connection.scope.get("user")
    if user is None:
        if connection.scope.get("method") == "OPTIONS":
            return  # unauthenticated by design: it only lists the allowed methods
        raise NotAuthorizedException("this route needs a Bearer token")
    if not isinstance(user, User) or user.role is not Role.ADMIN:
        raise PermissionDeniedException("this route needs the admin role")
