"""`YClientsClient`: the `YClientsGateway` port over the YClients REST API (httpx)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any, TypeVar

import httpx
import msgspec
import stamina

from src.adapters.yclients.budget import DEFAULT_429_PAUSE, LocalRequestBudget
from src.adapters.yclients.mapping import DecodedPage, RecordMappingError, decode_record
from src.adapters.yclients.paging import RecentVersions, cancel_pending, dedupe
from src.adapters.yclients.responses import (
    decoded_page,
    error_message,
    refused,
    retry_after_seconds,
)
from src.adapters.yclients.schema import is_null, record_envelope_decoder
from src.application.errors import GatewayError, TokensRejected
from src.application.ports.request_budget import Priority, RequestBudget
from src.application.ports.yclients import RecordPage
from src.domain.record import YClientsRecord

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.yclients.com/api/v1"
ACCEPT = "application/vnd.yclients.v2+json"
# The fixtures' company runs on Moscow time; dates and `changed_after` are sent in the
# company's local time [INFERRED] (docs/yclients/CONTRACT.md), so companies elsewhere pass
# their own `company_tz`.
MOSCOW = timezone(timedelta(hours=3), "MSK")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry budget of ONE request (a page or a record), first try included.

    Backoff is exponential with jitter (stamina): min(wait_max, wait_initial * 2**n) +
    up to wait_jitter. A 429's `Retry-After` replaces the backoff; one longer than
    `max_retry_after`, or than what is left of `timeout`, gives up at once."""

    attempts: int = 6
    timeout: float = 60.0
    wait_initial: float = 0.5
    wait_max: float = 10.0
    wait_jitter: float = 0.5
    max_retry_after: float = 60.0


class _Retryable(Exception):
    """A failure worth another attempt: 429, 5xx, timeout, connection error, bad JSON."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _Tally:
    """The requests one `record_pages` iteration made that its pages have not reported yet."""

    __slots__ = ("made",)

    def __init__(self) -> None:
        self.made = 0

    def take(self) -> int:
        made, self.made = self.made, 0
        return made


class YClientsClient:
    """Reads records from YClients with retries, a client-side rate limit and msgspec decoding.

    One instance per process (it owns the connection pool); `await aclose()` at shutdown.
    Every attempt first draws from `budget` (the deployment's `RequestBudget`: spaced,
    salons in turn, interactive first; a 429 pauses it); without one, `rate_limit` makes
    one for this process (requests per second; None: unlimited, for the simulator). `timeout` and
    `connect_timeout` are per attempt, `retry` bounds attempts and time per request;
    `prefetch` is how many pages are requested ahead of the one being read (0: one request
    at a time); `company_tz` is the offset dates and `changed_after` are sent in.
    `requests_made` counts every HTTP attempt, retries included."""

    def __init__(
        self,
        partner_token: str,
        user_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        page_size: int = 200,
        rate_limit: float | None = 5.0,
        budget: RequestBudget | None = None,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        max_connections: int = 10,
        company_tz: tzinfo = MOSCOW,
        prefetch: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be positive")
        auth = (
            f"Bearer {partner_token}, User {user_token}"
            if user_token
            else f"Bearer {partner_token}"
        )
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": auth, "Accept": ACCEPT, "Content-Type": "application/json"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
        )
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.retry = retry or RetryPolicy()
        self.company_tz = company_tz
        self.prefetch = prefetch
        if budget is None and rate_limit:
            budget = LocalRequestBudget(rate_limit)
        self.budget = budget
        self.requests_made = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> YClientsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- the port -------------------------------------------------------------------------

    async def record_pages(
        self,
        company_id: int,
        start: date,
        end: date,
        changed_after: datetime | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[RecordPage]:
        """Pages of records dated in [start, end] (company-local dates), deleted included,
        yielded in page order.

        Stops when a page is empty or the rows received reach `meta.total_count` (this also
        survives a server that caps `count` below `page_size`). Once page 1 told the total,
        up to `prefetch` further pages are requested ahead, so the server works on the next
        pages while we decode this one and the caller stores it. A page that fails after its
        retry budget raises `GatewayError`: the iteration never ends early and quietly.

        Records are deduplicated within one iteration: if the window shifts between page
        requests (a record is added or moves), a record can come twice, on the next page; a
        repeat of a version yielded on the last few pages is dropped (memory stays bounded),
        a newer version passes (ingest orders versions by `last_change_at`). A shift can also
        make a record skip a page boundary and go unseen in this pass (see the drift tests):
        a record that moved has a new `last_change_date`
        and comes by webhook and with the next `changed_after` run; an unchanged record that
        slid onto a page already read comes with the next full run."""
        params: dict[str, Any] = {
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "count": self.page_size,
            "with_deleted": 1,
        }
        if changed_after is not None:
            params["changed_after"] = self._local(changed_after)
        seen = RecentVersions(pages=self.prefetch + 3)
        received = 0
        total: int | None = None
        last_known = 1  # the highest page number known to exist
        next_page = 1
        in_flight: deque[asyncio.Task[DecodedPage]] = deque()
        tally = _Tally()

        def request_ahead(depth: int) -> None:
            nonlocal next_page
            while next_page <= last_known and len(in_flight) < depth:
                fetch = self._fetch_page(company_id, params, next_page, priority, tally)
                in_flight.append(asyncio.ensure_future(fetch))
                next_page += 1

        try:
            while True:
                request_ahead(1)
                if not in_flight:
                    break
                page_no = next_page - len(in_flight)
                page = await in_flight.popleft()
                received += page.rows
                if total is not None and page.total_count != total:
                    log.warning(
                        "yclients_window_changed_while_paging",
                        extra={"company_id": company_id, "page": page_no,
                               "total_count": page.total_count, "previous_total": total},
                    )  # fmt: skip
                total = page.total_count
                done = page.rows == 0 or received >= total
                if not done:
                    # Pages by the total, and always the next one while rows are missing
                    # (a server serving fewer than `count` per page needs more pages).
                    last_known = max(last_known, -(-total // self.page_size), page_no + 1)
                    request_ahead(self.prefetch)  # fetched while the caller works on this one
                if page.rows:
                    yield RecordPage(dedupe(page.records, seen), page.errors, tally.take())
                elif tally.made:  # an empty page is a request too: report it
                    yield RecordPage([], page.errors, tally.take())
                if done:
                    break
        except GatewayError as exc:
            exc.requests += tally.take()  # the failed page's attempts, and those read ahead
            raise
        finally:
            await cancel_pending(in_flight)

    async def get_record(
        self, company_id: int, record_id: int, *, priority: Priority = Priority.INTERACTIVE
    ) -> YClientsRecord | None:
        """One record, None if YClients answers 404 (or with no data). Interactive by
        default: a record is fetched for a webhook's event that waits on it."""
        path = f"/record/{company_id}/{record_id}"
        return await self._request(
            path, None, what=f"record {record_id} of company {company_id}", parse=self._one,
            allow_404=True, company_id=company_id, priority=priority,
        )  # fmt: skip

    # --- internals ------------------------------------------------------------------------

    def _local(self, moment: datetime) -> str:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.company_tz).strftime("%Y-%m-%dT%H:%M:%S")

    async def _fetch_page(
        self, company_id: int, params: dict[str, Any], page: int, priority: Priority,
        tally: _Tally,
    ) -> DecodedPage:  # fmt: skip
        return await self._request(
            f"/records/{company_id}", {**params, "page": page},
            what=f"records page {page} of company {company_id}", parse=decoded_page,
            company_id=company_id, priority=priority, tally=tally,
        )  # fmt: skip

    @staticmethod
    def _one(body: bytes) -> YClientsRecord | None:
        envelope = record_envelope_decoder.decode(body)
        if not envelope.success:
            raise refused(body)
        if is_null(envelope.data):
            return None
        try:
            return decode_record(envelope.data)
        except RecordMappingError as exc:
            raise GatewayError(f"YClients sent a record we cannot read: {exc}") from exc

    async def _request(
        self,
        path: str,
        params: dict[str, Any] | None,
        *,
        what: str,
        parse: Callable[[bytes], T],
        allow_404: bool = False,
        company_id: int,
        priority: Priority,
        tally: _Tally | None = None,
    ) -> T:
        policy = self.retry
        started = time.monotonic()

        def backoff(exc: Exception) -> bool | float:
            # The stamina hook: False = give up, True = exponential backoff, a float = wait
            # exactly that long (a server's Retry-After).
            if not isinstance(exc, _Retryable):
                return False
            if exc.retry_after is None:
                return True
            left = policy.timeout - (time.monotonic() - started)
            if exc.retry_after > min(policy.max_retry_after, left):
                return False
            return exc.retry_after

        attempts = 0
        try:
            async for attempt in stamina.retry_context(
                on=backoff,
                attempts=policy.attempts,
                timeout=policy.timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                with attempt:
                    attempts += 1
                    return await self._attempt(
                        path, params, parse, allow_404, company_id, priority, tally
                    )
        except _Retryable as exc:
            url = self._http.build_request("GET", path, params=params).url
            log.warning(
                "yclients_request_failed",
                extra={"what": what, "attempts": attempts, "error": str(exc)},
            )
            raise GatewayError(
                f"YClients {what} failed after {attempts} attempt(s) in "
                f"{time.monotonic() - started:.1f}s (GET {url}): {exc}"
            ) from exc
        raise AssertionError("unreachable")  # stamina either returns or re-raises

    async def _attempt(
        self,
        path: str,
        params: dict[str, Any] | None,
        parse: Callable[[bytes], T],
        allow_404: bool,
        company_id: int,
        priority: Priority,
        tally: _Tally | None = None,
    ) -> T:
        if self.budget is not None:
            await self.budget.acquire(company_id, priority)
        self.requests_made += 1
        if tally is not None:
            tally.made += 1
        try:
            response = await self._http.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})") from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})") from exc
        except httpx.HTTPError as exc:  # no raw httpx error leaves the adapter
            raise GatewayError(f"YClients request GET {path} failed: {exc!r}") from exc
        status = response.status_code
        body = response.content
        if status == 200:
            try:
                return parse(body)
            except msgspec.DecodeError as exc:
                # A truncated or garbled body is most likely a transient proxy failure.
                raise _Retryable(
                    f"HTTP 200 with a body that is not the expected JSON: {exc}"
                ) from exc
        if status == 404 and allow_404:
            return None  # type: ignore[return-value]
        message = error_message(body)
        if status == 429:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            # The limit is the deployment's: every process holds back, not just this request.
            if self.budget is not None:
                pause = DEFAULT_429_PAUSE if retry_after is None else retry_after
                await self.budget.pause(min(pause, self.retry.max_retry_after))
            raise _Retryable(f"HTTP 429 (rate limited): {message}", retry_after)
        if status >= 500:
            raise _Retryable(f"HTTP {status}: {message}")
        if status in (401, 403):
            raise TokensRejected(f"YClients rejected the partner/user tokens: {message}")
        raise GatewayError(f"YClients answered HTTP {status} to GET {response.url}: {message}")
