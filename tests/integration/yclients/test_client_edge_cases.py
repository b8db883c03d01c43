"""`YClientsClient` answers the simulator does not produce, scripted with httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from src.adapters.yclients.client import RetryPolicy, YClientsClient
from src.adapters.yclients.responses import retry_after_seconds
from src.application.errors import GatewayError, TokensRejected
from tests.paths import YCLIENTS_FIXTURES

FIXTURES = YCLIENTS_FIXTURES
RETRY = RetryPolicy(attempts=3, wait_initial=0.001, wait_max=0.002, wait_jitter=0.0)
Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*responses: httpx.Response) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering with `responses` in turn (the last one repeats)."""
    seen: list[httpx.Request] = []
    queue: Iterator[httpx.Response] = iter(responses)
    last = responses[-1]

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(queue, last)

    return handle, seen


def client_for(handler: Handler, **kwargs: object) -> YClientsClient:
    return YClientsClient(
        "partner-tok", "user-tok", base_url="https://yc.test/api/v1/", rate_limit=None,
        retry=RETRY, transport=httpx.MockTransport(handler), **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def envelope(status: int, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"success": False, "data": None, "meta": {"message": message}}
    )


async def test_headers_and_url_are_exactly_the_contracts() -> None:
    single = (FIXTURES / "record_single_get.json").read_bytes()
    handler, seen = scripted(httpx.Response(200, content=single))
    client = client_for(handler)

    record = await client.get_record(873456, 601234501)

    assert record is not None and record.record_id == 601234501
    request = seen[0]
    assert str(request.url) == "https://yc.test/api/v1/record/873456/601234501"
    assert request.headers["Authorization"] == "Bearer partner-tok, User user-tok"
    assert request.headers["Accept"] == "application/vnd.yclients.v2+json"
    assert request.headers["Content-Type"] == "application/json"


async def test_list_fixture_through_the_client() -> None:
    page = (FIXTURES / "records_list_page1_with_deleted.json").read_bytes()
    handler, seen = scripted(httpx.Response(200, content=page))
    client = client_for(handler)

    pages = [p async for p in client.record_pages(873456, date(2026, 11, 20), date(2026, 11, 21))]

    assert [len(p.records) for p in pages] == [3]
    params = dict(seen[0].url.params)
    assert params == {"start_date": "2026-11-20", "end_date": "2026-11-21", "count": "200",
                      "with_deleted": "1", "page": "1"}  # fmt: skip


async def test_forbidden_is_tokens_rejected_without_retry() -> None:
    handler, seen = scripted(envelope(403, "No company management rights"))

    with pytest.raises(TokensRejected, match="No company management rights"):
        await client_for(handler).get_record(1, 2)

    assert len(seen) == 1


async def test_success_false_with_http_200_is_an_error_not_retried() -> None:
    handler, seen = scripted(envelope(200, "Необходимо продлить лицензию"))

    with pytest.raises(GatewayError, match="success=false: Необходимо продлить лицензию"):
        async for _ in client_for(handler).record_pages(1, date(2026, 1, 1), date(2026, 1, 2)):
            pass

    assert len(seen) == 1


async def test_other_client_errors_are_not_retried() -> None:
    handler, seen = scripted(envelope(422, "Неверный формат даты"))

    with pytest.raises(GatewayError, match=r"HTTP 422.*Неверный формат даты"):
        async for _ in client_for(handler).record_pages(1, date(2026, 1, 1), date(2026, 1, 2)):
            pass

    assert len(seen) == 1


async def test_malformed_json_then_good_page() -> None:
    good = (FIXTURES / "records_list_page1_with_deleted.json").read_bytes()
    handler, seen = scripted(
        httpx.Response(200, content=good[:500]),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(200, content=good),
    )  # fmt: skip
    client = client_for(handler)

    pages = [p async for p in client.record_pages(873456, date(2026, 11, 1), date(2026, 11, 30))]

    assert len(pages[0].records) == 3
    assert client.requests_made == len(seen) == 3


async def test_error_message_without_envelope_shows_the_body() -> None:
    handler, _ = scripted(httpx.Response(503, text="<html>upstream down</html>"))

    with pytest.raises(GatewayError, match="HTTP 503: <html>upstream down</html>"):
        await client_for(handler).get_record(1, 2)


async def test_single_record_with_unreadable_data_names_the_field() -> None:
    body = json.loads((FIXTURES / "record_single_get.json").read_bytes())
    body["data"]["services"][0]["cost"] = "много"
    handler, seen = scripted(httpx.Response(200, json=body))

    with pytest.raises(GatewayError, match=r"services\[0\]\.cost"):
        await client_for(handler).get_record(873456, 601234501)

    assert len(seen) == 1  # our problem, not a transient one


async def test_single_record_null_data_is_none() -> None:
    handler, _ = scripted(httpx.Response(200, json={"success": True, "data": None, "meta": []}))
    assert await client_for(handler).get_record(1, 2) is None


def test_retry_after_forms() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-4") == 0.0
    in_ten = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8.0 < (retry_after_seconds(in_ten) or 0) <= 10.0


async def test_undecodable_transfer_encoding_is_retried() -> None:
    single = (FIXTURES / "record_single_get.json").read_bytes()
    handler, seen = scripted(
        httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
        ),
        httpx.Response(200, content=single),
    )  # fmt: skip

    record = await client_for(handler).get_record(873456, 601234501)

    assert record is not None and len(seen) == 2
