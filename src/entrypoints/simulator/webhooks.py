"""Webhook sending: POSTs `{company_id, resource, resource_id, status, data}` in the background."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any, Literal

import httpx
import msgspec

from src.entrypoints.simulator.store import encoder

DeleteData = Literal["full", "partial", "none"]


class Delivery(msgspec.Struct):
    """One POST attempt and what came of it (`http_status` None when it never got an answer)."""

    url: str
    resource_id: int | None
    status: str | None
    copy: int  # 1, or 2 for the duplicate when `duplicate` is on
    http_status: int | None = None
    error: str | None = None
    at: float = 0.0  # time.monotonic()


class WebhookSender:
    """Sends webhooks to `url` without blocking the request that caused them.

    `duplicate` sends every webhook twice (YClients' retry behaviour is undocumented, so
    receivers must cope). `delete_data` chooses what a delete carries in `data`: the full
    record with `deleted: true` (what the fixtures guess), only `{id, company_id}`, or null.
    `loss_rate` drops that share of record events (all copies), drawn from an RNG seeded
    with `loss_seed`, and counts them in `dropped` (YClients' delivery guarantees are
    undocumented: a receiver must not depend on every event arriving)."""

    def __init__(
        self, url: str | None = None, *, duplicate: bool = False, delete_data: DeleteData = "full"
    ) -> None:
        self.url = url
        self.duplicate = duplicate
        self.delete_data: DeleteData = delete_data
        self.deliveries: list[Delivery] = []
        self.set_loss(0.0)
        self._tasks: set[asyncio.Task[Delivery]] = set()
        self._http: httpx.AsyncClient | None = None

    def configure(self, url: str | None, *, duplicate: bool, delete_data: DeleteData) -> None:
        self.url, self.duplicate, self.delete_data = url, duplicate, delete_data

    def set_loss(self, rate: float, seed: int = 0) -> None:
        """Drop this share of record events from now on (the counters restart)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("loss rate must be between 0 and 1")
        self.loss_rate = rate
        self._loss_rng = random.Random(seed)
        self.dropped = 0
        self.sent_events = 0

    def record_event(self, status: str, record: dict[str, Any]) -> None:
        """Queue the webhook for a record change (no-op without a URL)."""
        if not self.url:
            return
        if self.loss_rate and self._loss_rng.random() < self.loss_rate:
            self.dropped += 1
            return
        self.sent_events += 1
        data: dict[str, Any] | None = record
        if status == "delete" and self.delete_data != "full":
            partial = {"id": record["id"], "company_id": record["company_id"]}
            data = partial if self.delete_data == "partial" else None
        body = encoder.encode({
            "company_id": record["company_id"],
            "resource": "record",
            "resource_id": record["id"],
            "status": status,
            "data": data,
        })  # fmt: skip
        for copy in (1, 2) if self.duplicate else (1,):
            self._spawn(self.url, body, record["id"], status, copy)

    async def send_raw(self, body: bytes, url: str | None = None) -> Delivery:
        """POST `body` as is and wait for the answer (replays, malformed bodies in tests)."""
        target = url or self.url
        if not target:
            raise ValueError("no webhook URL configured")
        try:
            envelope = msgspec.json.decode(body)
        except msgspec.DecodeError:
            envelope = None
        rid = envelope.get("resource_id") if isinstance(envelope, dict) else None
        status = envelope.get("status") if isinstance(envelope, dict) else None
        return await self._post(target, body, rid if isinstance(rid, int) else None, status, 1)

    async def drain(self, wait_seconds: float = 5.0) -> None:
        """Wait until every queued webhook was answered (or failed)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait_seconds)

    async def aclose(self) -> None:
        await self.drain()
        for task in self._tasks:
            task.cancel()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _spawn(self, url: str, body: bytes, rid: int, status: str, copy: int) -> None:
        task = asyncio.get_running_loop().create_task(self._post(url, body, rid, status, copy))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(
        self, url: str, body: bytes, rid: int | None, status: str | None, copy: int
    ) -> Delivery:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=5.0)
        delivery = Delivery(url, rid, status, copy, at=time.monotonic())
        try:
            response = await self._http.post(
                url, content=body, headers={"Content-Type": "application/json"}
            )
            delivery.http_status = response.status_code
        except httpx.HTTPError as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
        self.deliveries.append(delivery)
        return delivery
