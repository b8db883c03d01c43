"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Router, get
from litestar.datastructures import State
from litestar.exceptions import ServiceUnavailableException

from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.openapi import PublicOperation
from src.entrypoints.http.schemas.health import HealthOut, ReadyOut
from src.entrypoints.web.dependencies import AccessDep, provide

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
async def ready(state: State, access: AccessDep) -> ReadyOut:
    """200 when every dependency answers; 503 naming the ones that did not."""
    checks: dict[str, ReadyCheck] = {"database": access.readiness}
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


class RedisCheck:
    """PING the broker's Redis over one kept connection (made at the first probe, in the
    serving loop): a probe every few seconds must not cost a TCP and Redis handshake each.
    A broken connection is dropped by redis-py and made again by the next probe."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None

    async def __call__(self) -> None:
        if self._client is None:
            from redis.asyncio import BlockingConnectionPool, Redis

            pool = BlockingConnectionPool.from_url(
                self.url,
                max_connections=1,  # probes of one process share it (they are seconds apart)
                timeout=CHECK_TIMEOUT_SECONDS,
                socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
                socket_timeout=CHECK_TIMEOUT_SECONDS,
            )
            self._client = Redis.from_pool(pool)
        await self._client.ping()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def redis_check(url: str) -> RedisCheck:
    """PING the broker's Redis (close it with `aclose()` at shutdown)."""
    return RedisCheck(url)


async def _probe(check: ReadyCheck) -> str | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check()
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # any failure means "not ready"; the type is enough to act on
        return type(exc).__name__
    return None


health_router = Router("/", route_handlers=[health, ready], dependencies=provide("access"))
