"""Salon commands: sync every salon now, add a salon, list the salons."""

from __future__ import annotations

import argparse

from src.entrypoints.commands.common import open_container
from src.entrypoints.settings import Settings


async def cmd_sync(settings: Settings, _: argparse.Namespace) -> int:
    async with open_container(settings) as container:
        await container.upkeep.ensure_salons()
        runs = await container.pipeline.sync_all("cli")
    for run in runs:
        c = run.counts
        print(
            f"company {run.company_id}: {run.status.value} fetched={c.fetched} "
            f"created={c.created} updated={c.updated} unchanged={c.unchanged} "
            f"linked={c.linked} unmatched={c.unmatched} points={c.points_awarded} "
            f"errors={c.errors}" + (f" error={run.error}" if run.error else "")
        )
    return 0 if all(r.status.value in ("SUCCEEDED", "SKIPPED") for r in runs) else 1


async def cmd_add_salon(settings: Settings, args: argparse.Namespace) -> int:
    """The salon's first full sync goes to the workers (REDIS_URL), else runs here before
    the command returns."""
    from src.adapters.tasks.in_process import InProcessRunner
    from src.adapters.tasks.taskiq_runner import TaskiqRunner
    from src.entrypoints.salon_links import public_base_url, webhook_url

    async with open_container(settings) as container:
        await container.upkeep.ensure_salons()
        queue = container.queue
        if isinstance(queue, TaskiqRunner):
            await queue.broker.startup()
        try:
            salon, secret = await container.salon_admin.add_salon(args.id, args.name)
        finally:
            if isinstance(queue, TaskiqRunner):
                await queue.broker.shutdown()
        print(f"added salon {salon.company_id} ({salon.name}), {salon.timezone}, {salon.region}")
        print("webhook URL for YClients (shown once; `just salons` will not show the secret):")
        print(webhook_url(public_base_url(settings), secret))
        if isinstance(queue, InProcessRunner) and settings.YCLIENTS_ENABLED:
            print("running its first sync now...")
            await queue.wait_idle()
    return 0


async def cmd_salons(settings: Settings, _: argparse.Namespace) -> int:
    from src.domain.salon import day_start

    async with open_container(settings) as container:
        await container.upkeep.ensure_salons()
        since = day_start(container.clock.now(), settings.ADMIN_TIMEZONE)
        overview = await container.salon_admin.salons.overview(since)
    print("company_id\tstatus\tlast_sync\tlag_min\twebhooks_today\theld\tname")
    for v in overview.salons:
        last = (
            v.activity.last_sync_at.isoformat(timespec="seconds")
            if v.activity.last_sync_at
            else "-"
        )
        lag = str(int(v.sync_lag.total_seconds() // 60)) if v.sync_lag is not None else "-"
        status = v.salon.status.value + (
            " (shared secret)" if v.salon.accepts_shared_secret else ""
        )
        print(
            f"{v.salon.company_id}\t{status}\t{last}\t{lag}\t"
            f"{v.activity.webhooks_since}\t{v.activity.held}\t{v.salon.name}"
        )
    for a in overview.unknown:
        print(f"{a.company_id}\tunknown\t-\t-\t{a.webhooks_since}\t{a.held}\t(not a salon)")
    return 0
