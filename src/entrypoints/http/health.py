"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from litestar import Router, get
from litestar.datastructures import State
from litestar.exceptions import ServiceUnavailableException

from src.entrypoints.http.dependencies import UseCases
from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.openapi import PublicOperation
from src.entrypoints.http.schemas import HealthOut, ReadyOut

ReadyCheck = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_SECONDS = 3.0


@get("/health", summary="Liveness", operation_class=PublicOperation, tags=["health"])
async def health() -> HealthOut:
    """The process answers; says nothing about its dependencies (see /ready)."""
    return HealthOut(status="ok")


@get(
    "/ready",
    summary="Readiness: database (and broker) reachable",
    operation_class=PublicOperation,
    tags=["health"],
    responses=error_responses(503),
)
async def ready(state: State, container: UseCases) -> ReadyOut:
    """200 when every dependency answers; 503 naming the ones that did not."""
    checks: dict[str, ReadyCheck] = {"database": lambda: database_reachable(container)}
    checks.update(state.get("ready_checks") or {})
    results = await asyncio.gather(*(_probe(check) for check in checks.values()))
    failed = {name: error for name, error in zip(checks, results, strict=True) if error}
    if failed:
        raise ServiceUnavailableException(
            detail=f"unreachable: {', '.join(failed)}",
            extra=[
                {"key": name, "source": "dependency", "message": error}
                for name, error in failed.items()
            ],
        )
    return ReadyOut(status="ok", checks={name: "ok" for name in checks})


async def database_reachable(container: UseCases) -> None:
    """One cheap query through a unit of work (also proves the schema is migrated)."""
    async with container.uow_factory() as uow:
        await uow.levels.all()


def redis_check(url: str) -> ReadyCheck:
    """PING the broker's Redis."""

    async def ping() -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS)
        try:
            await client.ping()
        finally:
            await client.aclose()

    return ping


async def _probe(check: ReadyCheck) -> str | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check()
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # any failure means "not ready"; the type is enough to act on
        return type(exc).__name__
    return None


health_router = Router("/", route_handlers=[health, ready])
