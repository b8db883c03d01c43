"""Bounds on ids and offsets both the API and the console check before the database."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

# Ids fit a PostgreSQL bigint and a JSON number without loss (2**53 - 1, also exact as the
# float OpenAPI bounds are written with): anything larger is refused before the database.
MAX_ID = 2**53 - 1
# PostgreSQL's OFFSET and our ids are bigints; larger values are refused with a 400.
MAX_OFFSET = 2**31 - 1

PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
