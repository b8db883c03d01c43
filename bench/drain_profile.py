"""Profile the inbox drain in one process, without HTTP, Redis or taskiq: a backlog of webhook
events (as bench/drain.py posts them) is inserted straight into a fresh database, then
`DrainInbox.batches` (the composition root's) applies it under cProfile, counting the SQL
statements per batch.

    python -m bench.drain_profile [--events 10000] [--profile drain.pstats]

Prints events/s, CPU ms per event (this process: the worker's share) and statements per batch;
`--profile` writes the cProfile stats (`python -m pstats drain.pstats`, `sort cumtime`)."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from bench import loadgen
from bench.common import COMPANY_ID, QUIET_NOTIFIER, temporary_database
from bench.drain import FIRST_RECORD_ID
from bench.receipt import add_member
from bench.webhook import webhook_body
from src.domain.client_codes import comment_line, generate_client_code
from src.domain.inbox import WebhookEvent
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import load_settings


async def main(events: int, profile: Path | None, batch_size: int) -> None:
    code = generate_client_code()
    template = webhook_body(comment=comment_line(code), attendance=1)
    async with temporary_database("bench_drain_profile") as url:
        await add_member(url, code)
        settings = load_settings({
            "APP_ENV": "prod", "DATABASE_URL": url, "YCLIENTS_COMPANY_IDS": str(COMPANY_ID),
            "YCLIENTS_BASE_URL": "http://127.0.0.1:9/api/v1", "YCLIENTS_PARTNER_TOKEN": "p",
            "YCLIENTS_USER_TOKEN": "u", "INBOX_BATCH_SIZE": str(batch_size),
            "LOG_LEVEL": "WARNING", **QUIET_NOTIFIER,
        })  # fmt: skip
        container = build_container(settings)
        try:
            now = datetime.now(UTC)
            bodies = [
                template.replace(loadgen.ID_MARK, str(FIRST_RECORD_ID + i)).encode()
                for i in range(events)
            ]
            async with container.uow_factory() as uow:
                for start in range(0, events, 1000):
                    await uow.inbox.add_many([
                        WebhookEvent(COMPANY_ID, "record", FIRST_RECORD_ID + start + i, "update",
                                     b, hashlib.sha256(b).hexdigest(), now)
                        for i, b in enumerate(bodies[start:start + 1000])
                    ])  # fmt: skip
                await uow.commit()
            statements: Counter[str] = Counter()

            def count(_c, _cur, statement, _p, _ctx, _many) -> None:  # type: ignore[no-untyped-def]
                statements[statement.split(None, 1)[0].upper()] += 1

            engine = container.uow_factory.engine.sync_engine  # type: ignore[attr-defined]
            event.listen(engine, "before_cursor_execute", count)
            profiler = cProfile.Profile() if profile else None
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            done = 0
            while True:
                drained = await container.drain_inbox.batches(max_batches=1000)
                done += drained.processed
                if not drained.more:
                    break
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            await container.aclose()
    batches = -(-events // batch_size)
    print(
        f"{done}/{events} events in {wall:.2f} s: {done / wall:.0f} events/s, "
        f"{1000 * cpu / max(done, 1):.3f} ms CPU per event in this process; "
        f"{sum(statements.values()) / batches:.1f} statements per batch {dict(statements)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.profile, args.batch_size))
