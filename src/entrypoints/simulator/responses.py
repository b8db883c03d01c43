"""Helpers of the simulator's handlers: its state, and answers as YClients shapes them."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from src.entrypoints.simulator.state import SimulatorState
from src.entrypoints.simulator.store import encoder

JSON = "application/json"


def state_of(request: Request[Any, Any, Any]) -> SimulatorState:
    return request.app.state.simulator  # type: ignore[no-any-return]


def error_body(message: str) -> bytes:
    return encoder.encode({"success": False, "data": None, "meta": {"message": message}})


def respond(
    request: Request[Any, Any, Any],
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    entry = request.scope.get("state", {}).get("sim_entry")
    if entry is not None:
        entry.status = status
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def json_response(obj: Any, status: int = 200) -> Response[bytes]:
    return Response(encoder.encode(obj), status_code=status, media_type=JSON)


def error_envelope(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    message = exc.detail
    extra = getattr(exc, "extra", None)
    if extra:
        message = f"{message}: {extra}"
    return respond(request, exc.status_code, error_body(str(message)))
