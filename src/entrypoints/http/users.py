"""Members: register, log in, read their own profile."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.background_tasks import BackgroundTask
from litestar.middleware.rate_limit import DurationUnit
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from src.application.use_cases.verification import Verified
from src.domain.user import User
from src.domain.verification import Purpose
from src.entrypoints.http.auth import issue_token
from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.openapi import PublicOperation
from src.entrypoints.http.schemas.users import (
    AcceptedOut,
    CodeIn,
    CodeSentOut,
    LoginIn,
    MeOut,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetRequestIn,
    PhoneIn,
    RegisterIn,
    TokenOut,
    UserOut,
    VerifiedOut,
    me_out,
    user_out,
)
from src.entrypoints.settings import Settings
from src.entrypoints.web.dependencies import AccountsDep, Caller, provide
from src.entrypoints.web.throttle import (
    DURATION_SECONDS,
    AddressThrottle,
    LoginThrottle,
    RegisterThrottle,
)
from src.entrypoints.wiring.groups import Accounts

RESET_ACCEPTED = AcceptedOut(
    status="accepted",
    message="if this email belongs to a member, a reset code was sent to it",
)


@get("/users/me", responses=error_responses(401), summary="The caller's profile")
async def read_me(me: Caller, accounts: AccountsDep) -> MeOut:
    return me_out(await accounts.profile(me.id), accounts.settings.SMS_PROVIDER != "none")


def token_out(settings: Settings, user: User) -> TokenOut:
    """A new Bearer token for the member (login, password change, password reset)."""
    return TokenOut(
        access_token=issue_token(settings, user),
        token_type="bearer",
        expires_in=settings.JWT_TTL_MINUTES * 60,
    )


def _verified(result: Verified) -> VerifiedOut:
    return VerifiedOut(
        email_verified=result.user.email_verified_at is not None,
        phone_verified=result.user.phone_verified_at is not None,
        bookings_linked=result.linked,
    )


@post(
    "/users/me/email/verify",
    status_code=HTTP_200_OK,
    responses=error_responses(401, 409, 422),
    summary="Verify the caller's email with the code sent to it; links its unmatched bookings",
)
async def verify_email(me: Caller, data: JSONBody[CodeIn], accounts: AccountsDep) -> VerifiedOut:
    return _verified(await accounts.verify_contact(me.id, Purpose.EMAIL, data.code))


@post(
    "/users/me/phone/verify",
    status_code=HTTP_200_OK,
    responses=error_responses(401, 409, 422),
    summary="Verify the caller's phone with the code sent to it; links its unmatched bookings",
)
async def verify_phone(me: Caller, data: JSONBody[CodeIn], accounts: AccountsDep) -> VerifiedOut:
    return _verified(await accounts.verify_contact(me.id, Purpose.PHONE, data.code))


@post(
    "/users/me/phone",
    status_code=HTTP_200_OK,
    responses=error_responses(401, 422, 429, 502),
    summary="Set or change the caller's phone (unverified until its code is typed)",
)
async def set_phone(me: Caller, data: JSONBody[PhoneIn], accounts: AccountsDep) -> MeOut:
    await accounts.set_phone(me.id, data.phone)
    return me_out(await accounts.profile(me.id), accounts.settings.SMS_PROVIDER != "none")


async def _resend(me: User, accounts: Accounts, purpose: Purpose) -> CodeSentOut:
    await accounts.resend_code(me.id, purpose)
    return CodeSentOut(status="code_sent", channel="email" if purpose is Purpose.EMAIL else "sms")


@post(
    "/users/me/email/resend",
    status_code=HTTP_202_ACCEPTED,
    responses=error_responses(401, 409, 429, 502),
    summary="Send a new verification code to the caller's email",
)
async def resend_email_code(me: Caller, accounts: AccountsDep) -> CodeSentOut:
    return await _resend(me, accounts, Purpose.EMAIL)


@post(
    "/users/me/phone/resend",
    status_code=HTTP_202_ACCEPTED,
    responses=error_responses(401, 409, 422, 429, 502),
    summary="Send a new verification code to the caller's phone",
)
async def resend_phone_code(me: Caller, accounts: AccountsDep) -> CodeSentOut:
    return await _resend(me, accounts, Purpose.PHONE)


def _client(request: Request[Any, Any, Any]) -> str:
    # uvicorn's proxy-headers support has already put the real client address here.
    return request.client.host if request.client else "unknown"


def users_routers(
    login_rate_limit: tuple[DurationUnit, int],
    register_rate_limit: tuple[DurationUnit, int] = ("hour", 30),
    reset_rate_limit: tuple[DurationUnit, int] = ("hour", 30),
) -> tuple[Router, Router]:
    """(Register, login and password reset; /users/me) under /api/v1: the first router's
    routes are public, the second's need a Bearer token. Login is limited to `login_rate_limit`
    attempts per client address and account (ten times that per address, three times that per
    account across addresses); registration to `register_rate_limit` per address."""
    unit, count = login_rate_limit
    throttle = LoginThrottle(count, DURATION_SECONDS[unit])
    unit, count = register_rate_limit
    register_throttle = RegisterThrottle(count, DURATION_SECONDS[unit])
    unit, count = reset_rate_limit
    reset_throttle = AddressThrottle("password-reset", count, DURATION_SECONDS[unit])

    @post(
        "/auth/register",
        status_code=HTTP_201_CREATED,
        responses=error_responses(409, 422, 429),
        summary="Register a member",
        operation_class=PublicOperation,
    )
    async def register(
        request: Request[Any, Any, Any], data: JSONBody[RegisterIn], accounts: AccountsDep
    ) -> UserOut:
        await register_throttle.hit(accounts.attempts, _client(request))
        user = await accounts.register(data.email, data.password, phone=data.phone, name=data.name)
        return user_out(user)

    @post(
        "/auth/login",
        status_code=HTTP_200_OK,
        responses=error_responses(401, 422, 429),
        summary="Log in: a Bearer access token",
        operation_class=PublicOperation,
    )
    async def login(
        request: Request[Any, Any, Any], data: JSONBody[LoginIn], accounts: AccountsDep
    ) -> TokenOut:
        user = await throttle.attempt(
            accounts.attempts,
            accounts.login_streaks,
            _client(request),
            data.email,
            lambda: accounts.authenticate(data.email, data.password),
        )
        return token_out(accounts.settings, user)

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
        accounts: AccountsDep,
    ) -> TokenOut:
        # Guessing the current password with a stolen token counts like guessing at login.
        user = await throttle.attempt(
            accounts.attempts,
            accounts.login_streaks,
            _client(request),
            me.email,
            lambda: accounts.change_password(me.id, data.current_password, data.new_password),
        )
        return token_out(accounts.settings, user)

    @post(
        "/auth/password-reset/request",
        status_code=HTTP_202_ACCEPTED,
        responses=error_responses(422, 429),
        summary="Ask for a password reset code by email (the same answer for any email)",
        operation_class=PublicOperation,
    )
    async def request_password_reset(
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordResetRequestIn],
        accounts: AccountsDep,
    ) -> Response[AcceptedOut]:
        await reset_throttle.hit(accounts.attempts, _client(request))
        # The lookup and the send run after the answer: its status, body and timing are
        # the same whether the email belongs to a member or not.
        return Response(
            RESET_ACCEPTED,
            status_code=HTTP_202_ACCEPTED,
            background=BackgroundTask(accounts.request_password_reset, data.email),
        )

    @post(
        "/auth/password-reset/confirm",
        status_code=HTTP_200_OK,
        responses=error_responses(422, 429),
        summary="Set a new password with the emailed code: a new token; older ones stop working",
        operation_class=PublicOperation,
    )
    async def confirm_password_reset(
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordResetConfirmIn],
        accounts: AccountsDep,
    ) -> TokenOut:
        await reset_throttle.hit(accounts.attempts, _client(request))
        user = await accounts.confirm_password_reset(data.email, data.code, data.new_password)
        return token_out(accounts.settings, user)

    public = Router(
        "/api/v1",
        dependencies=provide("accounts"),
        route_handlers=[register, login, request_password_reset, confirm_password_reset],
        tags=["members"],
    )
    signed_in = Router(
        "/api/v1",
        dependencies=provide("accounts"),
        route_handlers=[
            read_me,
            change_password,
            verify_email,
            verify_phone,
            set_phone,
            resend_email_code,
            resend_phone_code,
        ],
        tags=["members"],
    )
    return public, signed_in
