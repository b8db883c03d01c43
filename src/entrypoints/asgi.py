"""The application: the JSON API (src/entrypoints/http) beside the console
(src/entrypoints/console), with what they share (src/entrypoints/web) and the lifespan.

`create_app(container)` serves a container someone else built and will close (tests, the
embedded `run`); `create_app()` builds its own from the environment at startup, with the
task runtime beside it, and closes both at shutdown. uvicorn imports the latter with
`src.entrypoints.asgi:create_app` and `factory=True`, once per worker.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware.rate_limit import DurationUnit
from litestar.types import ControllerRouterHandler, Middleware

from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.console.app import build_console
from src.entrypoints.http.app import (
    MAX_BODY,
    api_routes,
    cors_config,
    metrics_controller,
    openapi_config,
    prometheus_config,
)
from src.entrypoints.http.auth import make_jwt_auth
from src.entrypoints.http.errors import EXCEPTION_HANDLERS, handle_http_exception
from src.entrypoints.http.health import ReadyCheck, redis_check
from src.entrypoints.metrics import install_metrics
from src.entrypoints.settings import Settings, load_settings
from src.entrypoints.web.security_headers import security_headers

Hook = Callable[[], Awaitable[object]]


def create_app(
    container: Container | None = None,
    settings: Settings | None = None,
    *,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    ready_checks: Mapping[str, ReadyCheck] | None = None,
    login_rate_limit: tuple[DurationUnit, int] = ("minute", 10),
    register_rate_limit: tuple[DurationUnit, int] | None = None,
    metrics: bool = True,
) -> Litestar:
    """The app. Refuses to start outside dev mode with the default secrets.

    `on_startup` hooks run after the container exists, `on_shutdown` hooks (reversed)
    before it is closed. `ready_checks` add named probes to /ready (the database is always
    probed; the broker's Redis too when the app runs its own runtime)."""
    if settings is None:
        settings = container.settings if container is not None else load_settings()
    settings.check_secrets()
    checks = dict(ready_checks or {})
    if container is None and settings.REDIS_URL and "broker" not in checks:
        checks["broker"] = redis_check(settings.REDIS_URL)
    jwt_auth = make_jwt_auth(settings)
    console = build_console(settings, login_rate_limit)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if container is None:
                app.state.container = await stack.enter_async_context(_own_container(settings))
            for check in checks.values():
                if (close := getattr(check, "aclose", None)) is not None:
                    stack.push_async_callback(close)  # the broker probe's kept connection
            for hook in on_startup:
                await hook()
            for hook in reversed(on_shutdown):
                stack.push_async_callback(hook)
            if container is None:
                # A served process: what exists now (the app, its schema, SQLAlchemy, ...)
                # lives as long as the process. Frozen, the garbage collector stops scanning
                # it, which took full collections of tens of ms under load (the webhook's p99).
                gc.collect()
                gc.freeze()
            yield

    route_handlers: list[ControllerRouterHandler] = [
        *api_routes(settings, jwt_auth, login_rate_limit, register_rate_limit),
        *console.routes,
    ]
    middleware: list[Middleware] = []
    if metrics:
        install_metrics()  # business counters (webhooks, syncs, points) beside the HTTP ones
        middleware.append(prometheus_config().middleware)
        route_handlers.append(metrics_controller(settings.METRICS_TOKEN, settings.is_dev))

    return Litestar(
        route_handlers=route_handlers,
        exception_handlers={
            **EXCEPTION_HANDLERS,
            **console.unrouted_handlers(handle_http_exception),
        },
        before_send=[security_headers],
        middleware=middleware,
        lifespan=[lifespan],
        on_shutdown=[console.aclose],
        state=State(
            {"container": container, "ready_checks": checks, "console_words": console.words}
        ),
        stores=console.stores,
        template_config=console.template_config,
        plugins=console.plugins,
        openapi_config=openapi_config(jwt_auth),
        cors_config=cors_config(settings),
        request_max_body_size=MAX_BODY,
        logging_config=None,  # logging is configured once per process (src.entrypoints.logs)
        debug=False,
    )


@asynccontextmanager
async def _own_container(settings: Settings) -> AsyncIterator[Container]:
    """A container from settings, with the task runtime (broker client; in-process tasks and
    schedule without Redis), all closed on exit."""
    from src.entrypoints.logs import configure_logging
    from src.entrypoints.runtime import Runtime

    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    container = build_container(settings)
    runtime = Runtime(container)
    try:
        await runtime.start()
        try:
            yield container
        finally:
            await runtime.stop()
    finally:
        await container.aclose()
