"""Issue 21 item 8: each console page reads through one query use case, in one transaction.
A page's request begins as many transactions as the member list's (whose handler makes one
use case call): the session guard's, plus one."""

from __future__ import annotations

import pytest

from tests.integration.db.helpers import transactions
from tests.integration.http.conftest import Api
from tests.integration.http.test_console import _held_booking, _signed_in


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
