"""Issue 21 item 8: each console page reads through one query use case, in one transaction.
A page's request begins as many transactions as the member list's (whose handler makes one
use case call): the session guard's, plus one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.http.conftest import Api
from tests.integration.http.test_console import _held_booking, _signed_in


@contextmanager
def transactions(engine: AsyncEngine) -> Iterator[list[object]]:
    """The transactions begun on `engine` while the block runs."""
    begun: list[object] = []

    def record(conn: object) -> None:
        begun.append(conn)

    event.listen(engine.sync_engine, "begin", record)
    try:
        yield begun
    finally:
        event.remove(engine.sync_engine, "begin", record)


async def _begun(api: Api, path: str) -> int:
    with transactions(api.engine) as begun:
        response = await api.client.get(path)
    assert response.status_code == 200, (path, response.text)
    return len(begun)


@pytest.mark.parametrize(
    "page",
    ["/admin/members/{member}", "/admin/checkout", "/admin/checkout?state=CAPTURED",
     "/admin/overview", "/admin"],
)  # fmt: skip
async def test_a_console_page_reads_in_one_transaction(api: Api, page: str) -> None:
    await _signed_in(api)
    member, _, _ = await _held_booking(api)
    one_read = await _begun(api, "/admin/members")
    assert await _begun(api, page.format(member=member.id)) == one_read
