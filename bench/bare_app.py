"""The ceiling of the webhook benchmark: a Litestar route that answers 200 and does nothing,
served exactly like the API (`python -m src.entrypoints.cli serve`: uvicorn, uvloop,
httptools, no access log, one worker).

    python -m bench.bare_app PORT
"""

from __future__ import annotations

import sys

from litestar import Litestar, Request, post

PATH = "/api/v1/yclients/webhook"


@post(PATH, status_code=200)
async def bare(request: Request) -> dict[str, str]:  # type: ignore[type-arg]
    await request.body()  # read the body, as the real route does
    return {"status": "accepted"}


def create_app() -> Litestar:
    return Litestar(route_handlers=[bare], openapi_config=None, logging_config=None)


def main() -> None:
    import uvicorn

    uvicorn.run(
        "bench.bare_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=1,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
