"""`python -m src.entrypoints.simulator`: a standalone simulator on 127.0.0.1:8100.

Environment: SIMULATOR_HOST, SIMULATOR_PORT, SIMULATOR_PARTNER_TOKEN, SIMULATOR_USER_TOKEN,
SIMULATOR_WEBHOOK_URL; SIMULATOR_COMPANY_ID + SIMULATOR_RECORDS to start with N synthetic
records; SIMULATOR_COMPANIES=N to serve only N companies (ids SIMULATOR_COMPANY_ID onwards,
each with SIMULATOR_RECORDS records; others are refused with 403); and the soak's
misbehaviour, all off by default: SIMULATOR_RATE_LIMIT (YClients' requests per second,
more in any one second are 429), SIMULATOR_ERROR_RATE (share of API requests answered
5xx), SIMULATOR_WEBHOOK_LOSS (share of webhooks dropped), SIMULATOR_SEED (their RNGs).
"""

from __future__ import annotations

import os

import uvicorn

from src.entrypoints.simulator import FaultConfig, SimulatorState, create_simulator_app
from src.entrypoints.simulator.limits import LimitConfig

SERVER_ERRORS = {"500": 1.0, "502": 1.0, "503": 1.0}


def state_from_env(env: os._Environ[str] | dict[str, str]) -> SimulatorState:
    seed = int(env.get("SIMULATOR_SEED", "0"))
    first = int(env.get("SIMULATOR_COMPANY_ID", "873456"))
    n_companies = int(env.get("SIMULATOR_COMPANIES", "0"))
    companies = range(first, first + n_companies) if n_companies else range(first, first + 1)
    state = SimulatorState(
        partner_token=env.get("SIMULATOR_PARTNER_TOKEN", "sim-partner-token"),
        user_token=env.get("SIMULATOR_USER_TOKEN", "sim-user-token"),
        webhook_url=env.get("SIMULATOR_WEBHOOK_URL") or None,
        faults=FaultConfig(
            seed=seed, rate=float(env.get("SIMULATOR_ERROR_RATE", "0")), kinds=SERVER_ERRORS
        ),
        limits=LimitConfig(per_second=int(env.get("SIMULATOR_RATE_LIMIT", "0"))),
        companies=frozenset(companies) if n_companies else None,
    )
    state.webhooks.set_loss(float(env.get("SIMULATOR_WEBHOOK_LOSS", "0")), seed)
    if int(env.get("SIMULATOR_RECORDS", "0")):
        for company_id in companies:
            count = int(env["SIMULATOR_RECORDS"])
            state.generate(company_id, count, seed=seed + company_id - first)
    return state


def main() -> None:
    env = os.environ
    uvicorn.run(
        create_simulator_app(state_from_env(env)),
        host=env.get("SIMULATOR_HOST", "127.0.0.1"),
        port=int(env.get("SIMULATOR_PORT", "8100")),
        log_level=env.get("SIMULATOR_LOG_LEVEL", "warning"),
    )


if __name__ == "__main__":
    main()
