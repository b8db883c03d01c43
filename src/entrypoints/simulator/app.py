"""The simulator's Litestar app: the YClients API under `/api/v1` (api.py), a control API
under `/_control` (control.py, no auth) for tests, demos and benchmarks."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.exceptions import HTTPException

from src.entrypoints.simulator.api import before_api_request, get_record, list_records
from src.entrypoints.simulator.control import CONTROL_HANDLERS
from src.entrypoints.simulator.responses import error_envelope
from src.entrypoints.simulator.state import SimulatorState


def create_simulator_app(
    state: SimulatorState | None = None, *, api_prefix: str = "/api/v1", debug: bool = False
) -> Litestar:
    """A simulated YClients. Pass `state` to share it with the test that drives the app."""
    state = state or SimulatorState()
    api = Router(
        path=api_prefix,
        route_handlers=[list_records, get_record],
        before_request=before_api_request,
    )
    controls = Router(path="/_control", route_handlers=CONTROL_HANDLERS)

    async def close_webhooks() -> None:
        await state.webhooks.aclose()

    app = Litestar(
        route_handlers=[api, controls],
        exception_handlers={HTTPException: error_envelope},
        on_shutdown=[close_webhooks],
        debug=debug,
        openapi_config=None,
        logging_config=None,
    )
    app.state.simulator = state
    return app
