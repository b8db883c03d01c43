"""The JSON API's share of the application: its routers, OpenAPI document, CORS, metrics.

The application itself (the API beside the console, lifespan, shared middleware) is composed
in src/entrypoints/asgi.py.
"""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.config.cors import CORSConfig
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.rate_limit import DurationUnit
from litestar.openapi import OpenAPIConfig
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.security.jwt import JWTAuth, Token
from litestar.types import ControllerRouterHandler

from src.domain.user import User
from src.entrypoints.http.admin import admin_router
from src.entrypoints.http.auth import metrics_closed, metrics_token_guard
from src.entrypoints.http.booking import booking_router
from src.entrypoints.http.health import health_router
from src.entrypoints.http.loyalty import loyalty_router
from src.entrypoints.http.redemptions import redemptions_router
from src.entrypoints.http.salons import salons_router
from src.entrypoints.http.users import users_routers
from src.entrypoints.http.yclients import webhook_router, yclients_router
from src.entrypoints.settings import Settings
from src.entrypoints.web.dependencies import CALLER

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


def api_routes(
    settings: Settings,
    auth: JWTAuth[User, Token],
    login_rate_limit: tuple[DurationUnit, int] = ("minute", 10),
    register_rate_limit: tuple[DurationUnit, int] | None = None,
) -> list[ControllerRouterHandler]:
    """The API's routers. Health probes, sign-in and the webhook are public; every other
    route is behind `auth` (a Bearer token), which its router adds and documents."""
    sign_in, members = users_routers(
        login_rate_limit, register_rate_limit or ("hour", settings.REGISTER_RATE_LIMIT_PER_HOUR)
    )
    signed_in = Router(
        "/",
        route_handlers=[
            members,
            booking_router,
            loyalty_router,
            redemptions_router,
            yclients_router,
            admin_router,
            salons_router,
        ],
        middleware=[auth.middleware],
        security=[auth.security_requirement],
        dependencies=CALLER,  # `me`: the token's user
    )
    return [health_router, sign_in, webhook_router, signed_in]


def prometheus_config() -> PrometheusConfig:
    """HTTP metrics of every route but the metrics, the schema and the webhook."""
    return PrometheusConfig(
        app_name="yclients_loyalty",
        prefix="yclients_loyalty",
        group_path=True,
        exclude_unhandled_paths=True,
        # The webhook is counted by outcome (yclients_webhooks_received_total); the HTTP
        # middleware would cost it a quarter of its throughput (bench/README.md).
        exclude=["^/metrics", "^/schema", "^/api/v1/yclients/webhook$"],
    )


def openapi_config(auth: JWTAuth[User, Token]) -> OpenAPIConfig:
    """The API's document at /schema, with `auth`'s Bearer scheme (the routes behind it
    name it: `api_routes`)."""
    return OpenAPIConfig(
        components=[auth.openapi_components],
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
