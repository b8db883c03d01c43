"""The console's share of the Litestar app: routes, templates, static files, sessions, CSRF.

`build_console(settings)` gives what `create_app` passes to Litestar. Sessions live in Redis
when `REDIS_URL` is set (every worker sees them), otherwise in the process's memory (one
worker then). Sessions and CSRF are the /admin router's middleware: every unsafe request
under /admin needs the token; nothing else (the JSON API, the webhook) sees either."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment
from litestar import Request, Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.htmx import HTMXConfig, HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler, ExceptionHandler, ExceptionHandlersMap

from src.application.errors import AppError
from src.domain.money import AMOUNT_PATTERN
from src.entrypoints.console.auth import SESSION_LIFETIME, SignInRequired, console_admin
from src.entrypoints.console.errors import error_page, for_console_paths
from src.entrypoints.console.htmx import is_htmx
from src.entrypoints.console.i18n import Words
from src.entrypoints.console.login import login_handlers
from src.entrypoints.console.nav import NAV
from src.entrypoints.console.refusals import app_error
from src.entrypoints.console.routes import HANDLERS
from src.entrypoints.console.sessions import ConsoleSessionConfig
from src.entrypoints.console.words import describe_entry, describe_misses, percent, rub, word
from src.entrypoints.settings import Settings, SettingsError
from src.entrypoints.web.dependencies import CONTAINER, provide
from src.entrypoints.web.throttle import DURATION_SECONDS, LoginThrottle

HERE = Path(__file__).parent
SESSION_STORE = "admin_sessions"
SESSION_COOKIE = "admin_session"
CSRF_COOKIE = "admin_csrf"


@dataclass
class Console:
    """What `create_app` hands to Litestar."""

    routes: list[ControllerRouterHandler]
    template_config: TemplateConfig[JinjaTemplateEngine]
    stores: dict[str, Store]
    words: Words
    # HTMX requests for the console's router only (it sets `request_class`): app-wide, every
    # API request was an HTMXRequest, whose details point back at it, a cycle that left each
    # request's scope, headers and uvicorn cycle to the garbage collector (8 % of the
    # webhook's CPU; tests/integration/http/test_request_garbage.py).
    plugins: list[Any] = field(
        default_factory=lambda: [HTMXPlugin(HTMXConfig(set_request_class_globally=False))]
    )
    closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    def unrouted_handlers(self, elsewhere: ExceptionHandler) -> ExceptionHandlersMap:
        """For the app: an address under /admin that no route serves (404, 405) gets a
        console page too; any other address what `elsewhere` answers."""
        handle = for_console_paths(elsewhere)
        return {NotFoundException: handle, MethodNotAllowedException: handle}

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


def new_once_key() -> str:
    return secrets.token_urlsafe(18)


def session_cookie(secure: bool) -> str:
    """The session cookie's name: `__Host-admin_session` when it is Secure (served over
    HTTPS, outside APP_ENV=dev), else `admin_session`."""
    return f"__Host-{SESSION_COOKIE}" if secure else SESSION_COOKIE


def _csrf_secret(settings: Settings) -> str:
    """Derived from the JWT secret (one secret to rotate), but never equal to it."""
    return hmac.new(settings.JWT_SECRET.encode(), b"admin-console-csrf", hashlib.sha256).hexdigest()


def _csrf(settings: Settings) -> DefineMiddleware:
    return DefineMiddleware(
        CSRFMiddleware,
        config=CSRFConfig(
            secret=_csrf_secret(settings),
            cookie_name=CSRF_COOKIE,
            cookie_path="/admin",
            cookie_secure=not settings.is_dev,
            cookie_httponly=True,  # the token reaches forms and HTMX through the page
        ),
    )


def _store(settings: Settings) -> tuple[Store, list[Callable[[], Awaitable[object]]]]:
    if settings.REDIS_URL:
        store = RedisStore.with_client(
            url=settings.REDIS_URL, namespace=f"{settings.TASK_QUEUE_NAME}:admin-sessions"
        )
        return store, [store._redis.aclose]
    return MemoryStore(), []


def _sign_in(request: Request[Any, Any, Any], _: SignInRequired) -> Response[Any]:
    target = "/admin/login?next=" + quote(request.url.path, safe="/")
    if is_htmx(request):
        return Response(content=None, status_code=200, headers={"HX-Redirect": target})
    return Redirect(target)


def _forbidden(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    return Template(
        "forbidden.html",
        context={"nav": NAV, "path": request.url.path, "admin": None, "flash": None},
        status_code=403,
    )


def build_console(settings: Settings, login_limit: tuple[str, int] = ("minute", 10)) -> Console:
    try:
        words = Words(settings.ADMIN_LANGUAGE, settings.ADMIN_TIMEZONE)
    except (ValueError, KeyError) as exc:
        raise SettingsError(f"ADMIN_LANGUAGE/ADMIN_TIMEZONE: {exc}") from exc
    unit, count = login_limit
    throttle = LoginThrottle(count, DURATION_SECONDS[unit])
    if settings.ADMIN_SESSION_HOURS <= 0 or settings.ADMIN_SESSION_IDLE_MINUTES <= 0:
        raise SettingsError("ADMIN_SESSION_HOURS and ADMIN_SESSION_IDLE_MINUTES must be positive")
    secure = not settings.is_dev
    sessions = ConsoleSessionConfig(
        # Over HTTPS the `__Host-` prefix: the browser takes the cookie only from this host,
        # Secure, for the whole site, so a neighbouring subdomain cannot plant one.
        key=session_cookie(secure),
        max_age=max(1, int(settings.ADMIN_SESSION_HOURS * 3600)),
        idle_seconds=max(1, int(settings.ADMIN_SESSION_IDLE_MINUTES * 60)),
        path="/" if secure else "/admin",
        httponly=True,
        samesite="lax",
        secure=secure,
        store=SESSION_STORE,
    )
    console_router = Router(
        "/admin",
        route_handlers=[*login_handlers(throttle), *HANDLERS],
        # Pages take these groups by name; `container` too until they all do.
        dependencies={**provide("accounts", "admin", "salon_admin", "console"), **CONTAINER},
        # Sessions outside, CSRF inside (next to the handlers, where the app-wide CSRF
        # middleware stood): a refused token is answered by the console's handlers.
        middleware=[sessions.middleware, _csrf(settings)],
        guards=[console_admin],
        opt={SESSION_LIFETIME: settings.ADMIN_SESSION_HOURS * 3600},
        request_class=HTMXRequest,
        exception_handlers={
            SignInRequired: _sign_in,  # type: ignore[dict-item]
            PermissionDeniedException: _forbidden,  # type: ignore[dict-item]
            # Everything else: a console page in the console's language, never JSON.
            HTTPException: error_page,
            AppError: app_error,  # a declared refusal: a flash; otherwise error_page
            Exception: error_page,
        },
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/admin/static", directories=[HERE / "static"], include_in_schema=False,
        name="console_static",
    )  # fmt: skip

    def configure(engine: JinjaTemplateEngine) -> None:
        env: Environment = engine.engine
        env.globals["t"] = words
        env.filters["money"] = words.money
        env.filters["when"] = words.when
        env.filters["day"] = words.day
        env.filters["clock"] = words.clock
        env.globals["seconds"] = words.seconds
        env.globals["lang"] = words.language
        env.globals["once_key"] = new_once_key  # a form's one-time key (render.once)
        env.globals["amount_pattern"] = AMOUNT_PATTERN  # the server's rule, as HTML pattern
        # Staff's words for stored codes and reasons (words.py).
        env.filters["word"] = partial(word, words)
        env.filters["rub"] = partial(rub, words)
        env.filters["percent"] = partial(percent, words)
        env.filters["entry"] = partial(describe_entry, words)
        env.filters["misses"] = partial(describe_misses, words)

    store, closers = _store(settings)
    return Console(
        routes=[console_router, static],
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=configure
        ),
        stores={SESSION_STORE: store},
        words=words,
        closers=closers,
    )
