"""The HTTP API (Litestar): `create_app` builds it, `serve` runs it under uvicorn."""
