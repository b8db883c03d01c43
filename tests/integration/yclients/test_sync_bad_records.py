"""One bad record never fails its sync page (issue 13, item 2), on PostgreSQL over the
simulator: a NUL in a name, a 300-character name, a price of 10^10 and `1e999999999` sit in one
page between good records. The good ones and the normalisable ones are stored; the two absurd
prices are this run's `errors`, set aside with their reason and listed by the admin API; no run
error, log line or quarantine row repeats SQL or a client's name, phone or email."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.adapters.yclients import mapping
from src.adapters.yclients.client import YClientsClient
from src.domain.user import Role
from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import build_container
from src.entrypoints.http.auth import issue_token
from src.entrypoints.simulator import NewRecord
from src.entrypoints.simulator.state import ClientIn, ServiceIn
from tests.fakes.auth import FakeHasher
from tests.integration.http.conftest import NO_LIMIT, PASSWORD, app_client, make_settings
from tests.integration.yclients.conftest import COMPANY_ID, Simulator

NUL_NAME = "Ma\x00ria Secretova"
LONG_NAME = "Анна" + "Я" * 296  # 300 characters; the column holds 255
KEYS = ("good_a", "nul", "long", "e10", "huge", "good_b")
PHONES = {key: f"+7916000000{n}" for n, key in enumerate(KEYS, 1)}
NAMES = {
    "good_a": "Olga Goodrecord", "nul": NUL_NAME, "long": LONG_NAME,
    "e10": "Irina Tenbillion", "huge": "Vera Overflow", "good_b": "Nina Goodrecord",
}  # fmt: skip


def _make(sim: Simulator, key: str, cost: str = "1500") -> int:
    record = sim.state.create_record(
        NewRecord(
            company_id=COMPANY_ID,
            client=ClientIn(name=NAMES[key], phone=PHONES[key], email=f"{key}@private.example"),
            services=[ServiceIn(title="Маникюр", cost=Decimal(1500))],
            webhook=False,
        )
    )
    if cost != "1500":
        # Put the absurd price on the wire as it would come (a JSON number).
        services = [dict(record["services"][0], cost=Decimal(cost))]
        sim.state.store.put(dict(record, services=services))
    return int(record["id"])


def _pii() -> list[str]:
    parts = [p for name in NAMES.values() for p in name.replace("\x00", " ").split()]
    return [p for p in parts if len(p) > 4] + list(PHONES.values()) + ["@private.example"]


def _text_of(record: logging.LogRecord) -> str:
    return " ".join([record.getMessage(), repr(record.__dict__), record.exc_text or ""])


async def test_one_bad_record_never_fails_its_sync_page(
    sim: Simulator,
    make_client: Callable[..., YClientsClient],
    pg_uow_factory: SqlUnitOfWorkFactory,
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = {key: _make(sim, key) for key in ("good_a", "nul", "long")}
    ids["e10"] = _make(sim, "e10", "10000000000")
    ids["huge"] = _make(sim, "huge", "1e999999999")
    ids["good_b"] = _make(sim, "good_b")
    settings = make_settings(pg_url)
    container = build_container(
        settings, uow_factory=pg_uow_factory, gateway=make_client(), hasher=FakeHasher()
    )
    caplog.set_level(logging.DEBUG)
    try:
        run = await container.sync(COMPANY_ID, "manual")
        admin = await container.register("admin@example.com", PASSWORD, role=Role.ADMIN)
        headers = {"Authorization": f"Bearer {issue_token(settings, admin)}"}
        app = create_app(container, login_rate_limit=NO_LIMIT)
        async with app_client(app) as client:
            listed = await client.get("/api/v1/admin/quarantined-records", headers=headers)
            one_company = await client.get(
                "/api/v1/admin/quarantined-records",
                params={"company_id": COMPANY_ID, "limit": 1},
                headers=headers,
            )
            anonymous = await client.get("/api/v1/admin/quarantined-records")
    finally:
        await container.aclose()

    # The run finished; the two absurd prices are its errors, the rest was written.
    assert run.status.value == "SUCCEEDED", run.error
    assert run.error is None
    assert run.counts.errors == 2
    async with pg_uow_factory.engine.connect() as conn:
        stored = dict(
            (await conn.execute(text("SELECT yclients_record_id, client_name FROM bookings"))).all()
        )
    assert set(stored) == {ids["good_a"], ids["nul"], ids["long"], ids["good_b"]}
    assert stored[ids["nul"]] == "Maria Secretova"  # NUL removed
    assert stored[ids["long"]] == LONG_NAME[:255]  # cut to the column

    # Set aside with a reason, visible to admins (and to admins only).
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 2
    by_record = {item["record_id"]: item for item in page["items"]}
    assert set(by_record) == {ids["e10"], ids["huge"]}
    for item in by_record.values():
        assert item["company_id"] == COMPANY_ID
        assert item["source"] == "sync"
        assert "out of range" in item["reason"]
    assert one_company.status_code == 200 and len(one_company.json()["items"]) == 1
    assert anonymous.status_code == 401

    # Nothing shown or logged repeats SQL or a client's data.
    shown: list[Any] = [run.error or "", listed.text]
    shown += [_text_of(r) for r in caplog.records]
    for text_ in shown:
        for secret in _pii():
            assert secret not in text_, secret
        assert "INSERT INTO" not in text_ and "SELECT " not in text_


async def test_a_record_the_database_refuses_is_quarantined_alone(
    sim: Simulator,
    make_client: Callable[..., YClientsClient],
    pg_uow_factory: SqlUnitOfWorkFactory,
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second line of defence: with the mapping's normalisation switched off, PostgreSQL
    refuses the NUL and the 300-character name; each of those two records is isolated and
    set aside with a plain reason, the good ones around them commit."""
    monkeypatch.setattr(mapping, "_text", lambda value, limit: value or None)
    monkeypatch.setattr(mapping, "_client_cache", {})  # decoded clients are cached
    ids = {key: _make(sim, key) for key in ("good_a", "nul", "long", "good_b")}
    container = build_container(
        make_settings(pg_url), uow_factory=pg_uow_factory, gateway=make_client(),
        hasher=FakeHasher(),
    )  # fmt: skip
    caplog.set_level(logging.DEBUG)
    try:
        run = await container.sync(COMPANY_ID, "manual")
        page = await container.quarantined_records.page(COMPANY_ID, 10, 0)
    finally:
        await container.aclose()
    assert run.status.value == "SUCCEEDED", run.error
    assert run.counts.errors == 2
    async with pg_uow_factory.engine.connect() as conn:
        stored = set(
            (await conn.execute(text("SELECT yclients_record_id FROM bookings"))).scalars()
        )
    assert stored == {ids["good_a"], ids["good_b"]}
    reasons = {q.record_id: q.reason for q in page.items}
    assert set(reasons) == {ids["nul"], ids["long"]}
    assert "too long" in reasons[ids["long"]]
    shown = [*reasons.values(), *(_text_of(r) for r in caplog.records)]
    for text_ in shown:
        for secret in _pii():
            assert secret not in text_, secret
        assert "INSERT INTO" not in text_ and "SELECT " not in text_
