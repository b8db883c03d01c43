"""Signing in and out of the console (sign-in attempts throttled like the API's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import TooManyRequestsException
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template

from src.application.errors import InvalidCredentials
from src.domain.user import Role
from src.entrypoints.console.auth import PUBLIC, session_for
from src.entrypoints.console.nav import NAV
from src.entrypoints.console.render import HTML, page, safe_next
from src.entrypoints.console.sessions import start_session
from src.entrypoints.web.dependencies import UseCases
from src.entrypoints.web.throttle import LoginThrottle


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = ""


def login_handlers(throttle: LoginThrottle) -> list[Any]:
    @get("/login", opt={PUBLIC: True}, name="console_login_form")
    async def login_form(
        request: Request[Any, Any, Any],
        next_: Annotated[str, QueryParameter(name="next", max_length=200)] = "",
    ) -> Template:
        return page(request, "login.html", next=safe_next(next_), error=None, email="")

    @post("/login", opt={PUBLIC: True}, status_code=200, name="console_login", media_type=HTML)
    async def login(
        request: Request[Any, Any, Any],
        container: UseCases,
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        words = request.app.state.console_words
        target = safe_next(data.next)
        error, status = None, 200
        try:
            client = request.client.host if request.client else "unknown"
            user = await throttle.attempt(
                container.attempts,
                container.login_streaks,
                client,
                data.email,
                lambda: container.authenticate(data.email[:254], data.password[:128]),
            )
        except TooManyRequestsException:
            error, status = words("too_many"), 429
        except InvalidCredentials:
            error, status = words("wrong_credentials"), 401
        else:
            if user.role is not Role.ADMIN:
                error, status = words("not_admin"), 403
            else:
                # A new random session id (the one the browser sent is dropped: no fixation),
                # bound to the password stamp and the time of sign-in.
                start_session(request, session_for(user, container.clock.now()))
                return Redirect(target)
        return Template(
            "login.html",
            context={"next": target, "error": error, "email": data.email, "nav": NAV},
            status_code=status,
        )

    return [login_form, login]


@post("/logout", status_code=200)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect("/admin/login")
