"""`python -m src.entrypoints.http`: serve the API with uvicorn (uvloop + httptools)."""

from __future__ import annotations

import os
import sys

from src.entrypoints.http.proxy import proxy_options
from src.entrypoints.settings import Settings, SettingsError, load_settings

APP_FACTORY = "src.entrypoints.asgi:create_app"


def worker_count(settings: Settings) -> int:
    """WEB_CONCURRENCY, 0 meaning one per core. Without Redis the tasks and the schedule run
    inside the web process, so it stays one process (the schedule must run once)."""
    if not settings.REDIS_URL:
        return 1
    return settings.WEB_CONCURRENCY or os.cpu_count() or 1


def serve(settings: Settings | None = None) -> None:
    """Run the API on HOST:PORT. Each worker builds its own app (and container) from the
    environment through the factory, so `settings` only chooses address and workers."""
    import uvicorn

    from src.entrypoints.logs import configure_logging

    settings = settings or load_settings()
    settings.check_secrets()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.HOST,
        port=settings.PORT,
        workers=worker_count(settings),
        loop="uvloop",
        http="httptools",
        access_log=False,  # one structured line per webhook/sync is logged by the app
        log_config=None,
        timeout_graceful_shutdown=15,
        **proxy_options(settings),
    )


def main() -> int:
    try:
        serve()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
