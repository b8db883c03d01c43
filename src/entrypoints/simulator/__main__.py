"""`python -m src.entrypoints.simulator`: a standalone simulator on 127.0.0.1:8100.

Environment: SIMULATOR_HOST, SIMULATOR_PORT, SIMULATOR_PARTNER_TOKEN, SIMULATOR_USER_TOKEN,
SIMULATOR_WEBHOOK_URL, and SIMULATOR_COMPANY_ID + SIMULATOR_RECORDS to start with N
synthetic records.
"""

from __future__ import annotations

import os

import uvicorn

from src.entrypoints.simulator import SimulatorState, create_simulator_app


def main() -> None:
    env = os.environ
    state = SimulatorState(
        partner_token=env.get("SIMULATOR_PARTNER_TOKEN", "sim-partner-token"),
        user_token=env.get("SIMULATOR_USER_TOKEN", "sim-user-token"),
        webhook_url=env.get("SIMULATOR_WEBHOOK_URL") or None,
    )
    if int(env.get("SIMULATOR_RECORDS", "0")):
        state.generate(
            int(env.get("SIMULATOR_COMPANY_ID", "873456")), int(env["SIMULATOR_RECORDS"])
        )
    uvicorn.run(
        create_simulator_app(state),
        host=env.get("SIMULATOR_HOST", "127.0.0.1"),
        port=int(env.get("SIMULATOR_PORT", "8100")),
        log_level=env.get("SIMULATOR_LOG_LEVEL", "warning"),
    )


if __name__ == "__main__":
    main()
