"""`YClientsClient` against the simulator over HTTP: paging a window, single records, and what
happens when pages shift between requests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs

import pytest

from src.adapters.yclients.client import ACCEPT, YClientsClient
from src.application.errors import GatewayError
from src.application.ports.yclients import RecordError
from src.domain.booking import BookingStatus
from src.domain.record import YClientsRecord
from src.entrypoints.simulator import FaultConfig, NewRecord, RecordChanges
from src.entrypoints.simulator.records import MOSCOW
from src.entrypoints.simulator.state import ClientIn, ServiceIn
from tests.integration.yclients.conftest import COMPANY_ID, Simulator

START, END = date(2026, 11, 1), date(2026, 11, 30)
MakeClient = Callable[..., YClientsClient]


async def fetch_all(
    client: YClientsClient, start: date = START, end: date = END, **kwargs: object
) -> tuple[list[YClientsRecord], list[RecordError]]:
    records: list[YClientsRecord] = []
    errors: list[RecordError] = []
    async for page in client.record_pages(COMPANY_ID, start, end, **kwargs):  # type: ignore[arg-type]
        records.extend(page.records)
        errors.extend(page.errors)
    return records, errors


def window_with_noise(sim: Simulator, n: int = 1050) -> list[int]:
    """`n` records of the company in the window, plus others that must not come back."""
    ids = sim.state.generate(COMPANY_ID, n, seed=7, start=START, days=30)
    sim.state.generate(COMPANY_ID + 1, 30, seed=8, start=START, days=30)  # another company
    sim.state.generate(COMPANY_ID, 25, seed=9, start=date(2026, 12, 5), days=10)  # later dates
    return ids


async def test_window_of_1050_records_takes_exactly_six_requests(
    sim: Simulator, make_client: MakeClient
) -> None:
    ids = window_with_noise(sim)
    client = make_client(page_size=200)

    records, errors = await fetch_all(client)

    assert errors == []
    assert len(records) == 1050
    assert Counter(r.record_id for r in records).most_common(1)[0][1] == 1  # none twice
    assert {r.record_id for r in records} == set(ids)  # every record once
    assert {r.company_id for r in records} == {COMPANY_ID}
    assert client.requests_made == 6
    requests = sim.list_requests()
    assert len(requests) == 6
    queries = [parse_qs(r.query) for r in requests]
    assert [q["page"] for q in queries] == [[str(p)] for p in range(1, 7)]
    assert all(q["count"] == ["200"] and q["with_deleted"] == ["1"] for q in queries)
    assert all(
        q["start_date"] == ["2026-11-01"] and q["end_date"] == ["2026-11-30"] for q in queries
    )
    assert {r.accept for r in requests} == {ACCEPT}
    assert {r.status for r in requests} == {200}
    # Deleted records are part of the window (with_deleted=1) and arrive cancelled.
    deleted = [r for r in records if r.deleted]
    assert deleted and all(r.status is BookingStatus.CANCELLED for r in deleted)


@pytest.mark.parametrize(("n", "requests"), [(0, 1), (1, 1), (200, 1), (201, 2), (1000, 5)])
async def test_page_count_edges(
    sim: Simulator, make_client: MakeClient, n: int, requests: int
) -> None:
    if n:
        sim.state.generate(COMPANY_ID, n, seed=1, start=START, days=30)
    client = make_client(page_size=200)

    records, _ = await fetch_all(client)

    assert len(records) == n
    assert client.requests_made == requests


async def test_server_capping_count_still_reads_everything(
    sim: Simulator, make_client: MakeClient
) -> None:
    # The max page size of GET /records is undocumented: a server serving fewer than asked
    # must not make us stop early.
    sim.state.max_count = 150
    ids = sim.state.generate(COMPANY_ID, 500, seed=2, start=START, days=30)
    client = make_client(page_size=200)

    records, _ = await fetch_all(client)

    assert sorted(r.record_id for r in records) == ids
    assert client.requests_made == 4
    sim.state.max_count = 1000


async def test_changed_after_is_sent_in_company_time(
    sim: Simulator, make_client: MakeClient
) -> None:
    sim.state.generate(COMPANY_ID, 100, seed=3, start=START, days=30)  # changed before today
    since = datetime.now(UTC) - timedelta(seconds=2)
    changed = sim.state.update_record(
        COMPANY_ID, sim.state.store.query(COMPANY_ID, None, None, None, True)[10],
        RecordChanges(attendance=1, webhook=False),
    )  # fmt: skip
    assert changed is not None
    client = make_client()

    records, _ = await fetch_all(client, changed_after=since)

    assert [r.record_id for r in records] == [changed["id"]]
    assert records[0].status is BookingStatus.COMPLETED
    sent = parse_qs(sim.list_requests()[0].query)["changed_after"][0]
    assert sent == since.astimezone(client.company_tz).strftime("%Y-%m-%dT%H:%M:%S")


async def test_get_record(sim: Simulator, make_client: MakeClient) -> None:
    created = sim.state.create_record(
        NewRecord(
            company_id=COMPANY_ID,
            client=ClientIn(name="Мария", phone="+7 (916) 555-12-34", email="m@example.com"),
            comment="Позвонить заранее\nКод клиента: ABC12345",
            services=[
                ServiceIn(title="Маникюр", cost=Decimal("1499.50")),
                ServiceIn(title="Дизайн", cost=Decimal(300)),
            ],
            datetime=datetime(2026, 11, 20, 11, 0),
            attendance=2,
            webhook=False,
        )
    )
    client = make_client()

    record = await client.get_record(COMPANY_ID, created["id"])
    missing = await client.get_record(COMPANY_ID, 1)
    other_company = await client.get_record(COMPANY_ID + 1, created["id"])
    sim.state.delete_record(COMPANY_ID, created["id"], webhook=False)
    deleted = await client.get_record(COMPANY_ID, created["id"])

    assert record is not None
    assert record.status is BookingStatus.CONFIRMED
    assert record.price == Decimal("1799.50")
    assert record.appointment_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert record.client is not None and record.client.phone == "+7 (916) 555-12-34"
    assert missing is None and other_company is None
    assert deleted is not None and deleted.deleted and deleted.status is BookingStatus.CANCELLED
    assert deleted.last_change_at > record.last_change_at


async def test_get_record_failing_with_500_gives_up(
    sim: Simulator, make_client: MakeClient
) -> None:
    ok = sim.state.create_record(NewRecord(company_id=COMPANY_ID, webhook=False))
    bad = sim.state.create_record(NewRecord(company_id=COMPANY_ID, webhook=False))
    sim.state.set_faults(FaultConfig(fail_record_ids=[bad["id"]]))
    client = make_client()

    assert await client.get_record(COMPANY_ID, ok["id"]) is not None
    with pytest.raises(GatewayError) as caught:
        await client.get_record(COMPANY_ID, bad["id"])

    assert f"record {bad['id']} of company {COMPANY_ID}" in str(caught.value)
    assert "HTTP 500" in str(caught.value)
    assert client.requests_made == 1 + 8


# --- pages shifting between requests ----------------------------------------------------------


async def test_drift_forward_duplicates_are_dropped_and_movers_come_with_the_next_pass(
    sim: Simulator, make_client: MakeClient
) -> None:
    """A record rescheduled from a later page to an earlier one while we page: every page
    after it shifts forward by one, so the last record of each page comes again at the start
    of the next (the adapter drops the repeat), and the mover itself is not seen in this pass.
    It changed, so it has a new last_change_date: its webhook, or the next `changed_after`
    pass, brings it."""
    ids = sim.state.generate(COMPANY_ID, 1050, seed=7, start=START, days=30)
    sim.state.set_faults(FaultConfig(drift=1, drift_mode="tail_to_front"))
    started = datetime.now(UTC) - timedelta(seconds=1)
    client = make_client(page_size=200, prefetch=0)

    records, _ = await fetch_all(client)

    seen = [r.record_id for r in records]
    assert len(seen) == len(set(seen))  # repeats dropped by the adapter
    missed = set(ids) - set(seen)
    assert len(missed) == 5  # one mover after each of the first five pages
    assert client.requests_made == 6

    sim.state.set_faults(FaultConfig())
    again, _ = await fetch_all(client, changed_after=started)
    assert missed <= {r.record_id for r in again}


async def test_drift_backward_can_hide_an_unchanged_record_for_one_pass(
    sim: Simulator, make_client: MakeClient
) -> None:
    """A record rescheduled from an earlier page to a later one: later pages shift back by
    one, so the first record of each next page slides onto a page already read and is missed
    although it did not change; the mover comes twice, the second time as a newer version
    (passed on: ingest orders versions by last_change_date, so this is harmless). The
    missed records are read by the next full pass."""
    ids = sim.state.generate(COMPANY_ID, 1050, seed=7, start=START, days=30)
    sim.state.set_faults(FaultConfig(drift=1, drift_mode="head_to_back"))
    client = make_client(page_size=200, prefetch=0)

    records, _ = await fetch_all(client)

    counts = Counter(r.record_id for r in records)
    twice = {rid for rid, n in counts.items() if n == 2}
    missed = set(ids) - set(counts)
    assert len(missed) == 5 and len(twice) == 5
    for rid in twice:
        first, second = [r for r in records if r.record_id == rid]
        assert second.last_change_at > first.last_change_at

    sim.state.set_faults(FaultConfig())
    full, _ = await fetch_all(client)
    assert {r.record_id for r in full} == set(ids)


async def test_each_records_own_offset_survives_the_simulator_and_the_client(
    sim: Simulator, make_client: MakeClient
) -> None:
    yekaterinburg = timezone(timedelta(hours=5))
    moscow = sim.state.create_record(
        NewRecord(company_id=COMPANY_ID, datetime=datetime(2026, 11, 20, 12, 0, tzinfo=MOSCOW),
                  webhook=False)
    )  # fmt: skip
    ekb = sim.state.create_record(
        NewRecord(company_id=COMPANY_ID, datetime=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
                  webhook=False)
    )  # fmt: skip
    # Moved to 12:00 on the salon's clock in Yekaterinburg: the simulator keeps that offset.
    sim.state.update_record(
        COMPANY_ID,
        ekb["id"],
        RecordChanges(datetime=datetime(2026, 11, 21, 12, 0, tzinfo=yekaterinburg), webhook=False),
    )
    client = make_client()
    records, _ = await fetch_all(client)
    by_id = {r.record_id: r for r in records}
    assert by_id[moscow["id"]].utc_offset_minutes == 180
    assert by_id[ekb["id"]].utc_offset_minutes == 300
    assert by_id[ekb["id"]].appointment_at == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    single = await client.get_record(COMPANY_ID, ekb["id"])
    assert single is not None and single.utc_offset_minutes == 300


FLAKY = FaultConfig(seed=3, rate=0.4, kinds={"500": 1.0})


@pytest.mark.parametrize(("n", "faults"), [(0, None), (201, None), (1000, FLAKY)])
async def test_pages_report_every_request_they_took(
    sim: Simulator, make_client: MakeClient, n: int, faults: FaultConfig | None
) -> None:
    """A sync run counts its requests from the pages: an empty window's one request, the
    retries and the pages read ahead are reported too (an empty page is yielded for them)."""
    if n:
        sim.state.generate(COMPANY_ID, n, seed=1, start=START, days=30)
    if faults is not None:
        sim.state.set_faults(faults)
    client = make_client(page_size=200)

    reported = [page.requests async for page in client.record_pages(COMPANY_ID, START, END)]

    assert sum(reported) == client.requests_made == len(sim.list_requests())
    assert client.requests_made >= (1 if n == 0 else -(-n // 200) + (faults is not None))


async def test_a_failed_window_reports_the_requests_it_took(
    sim: Simulator, make_client: MakeClient
) -> None:
    sim.state.generate(COMPANY_ID, 500, seed=1, start=START, days=30)
    sim.state.set_faults(FaultConfig(rate=1.0, kinds={"500": 1.0}))
    client = make_client(page_size=200)

    with pytest.raises(GatewayError) as caught:
        await fetch_all(client)

    assert caught.value.requests == client.requests_made == len(sim.list_requests()) > 1
