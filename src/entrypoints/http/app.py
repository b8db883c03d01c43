"""The Litestar application: routes, auth, error mapping, OpenAPI, metrics and lifespan.

`create_app(container)` serves a container someone else built and will close (tests, the
embedded `run`); `create_app()` builds its own from the environment at startup, with the
task runtime beside it, and closes both at shutdown. uvicorn imports the latter with
`src.entrypoints.http.app:create_app` and `factory=True`, once per worker.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.rate_limit import DurationUnit
from litestar.openapi import OpenAPIConfig
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ControllerRouterHandler, Middleware

from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.console.app import build_console
from src.entrypoints.http.admin import admin_router
from src.entrypoints.http.auth import make_jwt_auth, metrics_closed, metrics_token_guard
from src.entrypoints.http.booking import booking_router
from src.entrypoints.http.dependencies import DEPENDENCIES
from src.entrypoints.http.errors import EXCEPTION_HANDLERS
from src.entrypoints.http.health import ReadyCheck, health_router, redis_check
from src.entrypoints.http.loyalty import loyalty_router
from src.entrypoints.http.redemptions import redemptions_router
from src.entrypoints.http.salons import salons_router
from src.entrypoints.http.security_headers import security_headers
from src.entrypoints.http.users import users_router
from src.entrypoints.http.yclients import yclients_router
from src.entrypoints.metrics import install_metrics
from src.entrypoints.settings import Settings, load_settings

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[object]]

API_TITLE = "YClients bookings and loyalty"
API_VERSION = "1.0.0"
MAX_BODY = 1024 * 1024  # no request of this API needs more


class MetricsController(PrometheusController):
    """Prometheus metrics at /metrics (outside the API schema)."""

    include_in_schema = False


def metrics_controller(token: str | None, dev: bool = False) -> type[PrometheusController]:
    """/metrics behind METRICS_TOKEN; without one it is open in development only and answers
    401 elsewhere (fail closed: the metrics show traffic and failure rates)."""
    if not token and dev:
        return MetricsController
    guards = [metrics_token_guard(token) if token else metrics_closed]
    return type("GuardedMetricsController", (MetricsController,), {"guards": guards})


def operation_id(handler: HTTPRouteHandler, method: Any, _: list[Any]) -> str:
    """`listBookings`: the handler's name, for readable generated clients."""
    first, *rest = handler.handler_name.split("_")
    return first + "".join(part.title() for part in rest)


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
    """The API app. Refuses to start outside dev mode with the default secrets.

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
        health_router,
        users_router(
            login_rate_limit,
            register_rate_limit or ("hour", settings.REGISTER_RATE_LIMIT_PER_HOUR),
        ),
        booking_router,
        loyalty_router,
        redemptions_router,
        yclients_router,
        admin_router,
        salons_router,
        *console.routes,
    ]
    middleware: list[Middleware] = []
    if metrics:
        install_metrics()  # business counters (webhooks, syncs, points) beside the HTTP ones
        prometheus = PrometheusConfig(
            app_name="yclients_loyalty",
            prefix="yclients_loyalty",
            group_path=True,
            exclude_unhandled_paths=True,
            # The webhook is counted by outcome (yclients_webhooks_received_total); the HTTP
            # middleware would cost it a quarter of its throughput (bench/README.md).
            exclude=["^/metrics", "^/schema", "^/api/v1/yclients/webhook$"],
        )
        middleware.append(prometheus.middleware)
        route_handlers.append(metrics_controller(settings.METRICS_TOKEN, settings.is_dev))

    return Litestar(
        route_handlers=route_handlers,
        dependencies=DEPENDENCIES,
        exception_handlers={**EXCEPTION_HANDLERS, **console.exception_handlers},
        on_app_init=[jwt_auth.on_app_init],
        before_send=[security_headers],
        middleware=middleware,
        lifespan=[lifespan],
        on_shutdown=[console.aclose],
        state=State(
            {"container": container, "ready_checks": checks, "console_words": console.words}
        ),
        stores=console.stores,
        template_config=console.template_config,
        csrf_config=console.csrf_config,
        plugins=console.plugins,
        openapi_config=OpenAPIConfig(
            title=API_TITLE,
            version=API_VERSION,
            path="/schema",
            operation_id_creator=operation_id,
            description=(
                "Members, their YClients bookings and loyalty points. Authenticate with "
                "`Authorization: Bearer <access_token>` from `POST /api/v1/auth/login`. "
                "Decimal values are JSON strings, times ISO 8601 in UTC except a booking's "
                "`appointment_datetime`, which carries the salon's own offset "
                "(`2030-01-15T12:00:00+03:00`), and every error is "
                '`{"error": {"code", "message", "status", "details"?}}`.'
            ),
        ),
        cors_config=cors_config(settings),
        request_max_body_size=MAX_BODY,
        logging_config=None,  # logging is configured once per process (src.entrypoints.logs)
        debug=False,
    )


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the origins in CORS_ALLOW_ORIGINS; none configured = no CORS headers at all.

    Credentials stay off: the API authenticates with a bearer token the web app sends
    itself, never with cookies."""
    if not settings.CORS_ALLOW_ORIGINS:
        return None
    return CORSConfig(
        allow_origins=list(settings.CORS_ALLOW_ORIGINS),
        allow_methods=["GET", "POST", "PATCH"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        max_age=600,
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
