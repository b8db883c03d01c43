"""Members: register, log in, read their own profile."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.middleware.rate_limit import DurationUnit
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from src.entrypoints.http.auth import issue_token
from src.entrypoints.http.dependencies import Caller, UseCases
from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.openapi import PublicOperation
from src.entrypoints.http.schemas import (
    LoginIn,
    MeOut,
    PasswordChangeIn,
    RegisterIn,
    TokenOut,
    UserOut,
    me_out,
    user_out,
)
from src.entrypoints.http.throttle import DURATION_SECONDS, LoginThrottle, RegisterThrottle


@get("/users/me", responses=error_responses(401), summary="The caller's profile")
async def read_me(me: Caller, container: UseCases) -> MeOut:
    return me_out(await container.profile(me.id))


def _client(request: Request[Any, Any, Any]) -> str:
    # uvicorn's proxy-headers support has already put the real client address here.
    return request.client.host if request.client else "unknown"


def users_router(
    login_rate_limit: tuple[DurationUnit, int],
    register_rate_limit: tuple[DurationUnit, int] = ("hour", 30),
) -> Router:
    """Register, login and /users/me under /api/v1. Login is limited to `login_rate_limit`
    attempts per client address and account (ten times that per address, three times that per
    account across addresses); registration to `register_rate_limit` per address."""
    unit, count = login_rate_limit
    throttle = LoginThrottle(count, DURATION_SECONDS[unit])
    unit, count = register_rate_limit
    register_throttle = RegisterThrottle(count, DURATION_SECONDS[unit])

    @post(
        "/auth/register",
        status_code=HTTP_201_CREATED,
        responses=error_responses(409, 422, 429),
        summary="Register a member",
        operation_class=PublicOperation,
    )
    async def register(
        request: Request[Any, Any, Any], data: JSONBody[RegisterIn], container: UseCases
    ) -> UserOut:
        await register_throttle.hit(container.attempts, _client(request))
        user = await container.register(data.email, data.password, phone=data.phone, name=data.name)
        return user_out(user)

    @post(
        "/auth/login",
        status_code=HTTP_200_OK,
        responses=error_responses(401, 422, 429),
        summary="Log in: a Bearer access token",
        operation_class=PublicOperation,
    )
    async def login(
        request: Request[Any, Any, Any], data: JSONBody[LoginIn], container: UseCases
    ) -> TokenOut:
        await throttle.hit(container.attempts, _client(request), data.email)
        user = await container.authenticate(data.email, data.password)
        settings = container.settings
        return TokenOut(
            access_token=issue_token(settings, user),
            token_type="bearer",
            expires_in=settings.JWT_TTL_MINUTES * 60,
        )

    @post(
        "/users/me/password",
        status_code=HTTP_200_OK,
        responses=error_responses(401, 422, 429),
        summary="Change the caller's password: a new token; every older token stops working",
    )
    async def change_password(
        request: Request[Any, Any, Any],
        me: Caller,
        data: JSONBody[PasswordChangeIn],
        container: UseCases,
    ) -> TokenOut:
        # Guessing the current password with a stolen token counts like guessing at login.
        await throttle.hit(container.attempts, _client(request), me.email)
        user = await container.change_password(me.id, data.current_password, data.new_password)
        settings = container.settings
        return TokenOut(
            access_token=issue_token(settings, user),
            token_type="bearer",
            expires_in=settings.JWT_TTL_MINUTES * 60,
        )

    return Router(
        "/api/v1",
        route_handlers=[register, login, read_me, change_password],
        tags=["members"],
    )
