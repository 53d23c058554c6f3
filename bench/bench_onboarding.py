"""Onboarding status: a page of 100 organizations' statuses, the NEEDS_ATTENTION filter over
1,000 organizations, and the live fan-out (one computation per change for 200 subscribers).

SQLite in a temp dir, through the real resolvers; the fan-out uses the process's hub and feed
as the subscription does, with no sockets (they would measure websockets, not the feed).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from gatehouse.auth.principal import operator_principal
from gatehouse.events.bus import LocalBus
from gatehouse.events.hub import Hub
from gatehouse.events.sequencer import sequence_pending
from gatehouse.models import Domain, DomainState, Organization
from gatehouse.resolvers import organizations
from gatehouse.resolvers.domains import lifecycle as domains
from gatehouse.resolvers.onboarding.live import feed_for, subscribe_onboarding
from gatehouse.resolvers.onboarding.status import (
    StepState,
    compute_statuses,
    organizations_in_state,
)
from gatehouse.server.db import close_db, init_db, migrate

ORGS = 1000
SUBSCRIBERS = 200
RUNS = 20


async def seed() -> list[str]:
    op = operator_principal()
    ids = []
    for i in range(ORGS):
        org = await organizations.create_organization(op, organizations.NewOrganization(f"O{i}"))
        ids.append(org.id)
    rows = [
        Domain(
            organization_id=org_id,
            domain=f"o{i}.example",
            verified_domain=f"o{i}.example" if i % 3 == 0 else None,
            state=(DomainState.VERIFIED, DomainState.PENDING, DomainState.FAILED)[i % 3],
            token="t",
        )
        for i, org_id in enumerate(ids)
    ]
    await Domain.bulk_create(rows)
    return ids


def ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"


async def fan_out(org_id: str) -> None:
    await sequence_pending()
    hub = Hub(LocalBus(), poll_seconds=0.05)
    await hub.prime()
    stop = asyncio.Event()
    hub_task = asyncio.create_task(hub.run(stop))
    received = [0] * SUBSCRIBERS
    ready = asyncio.Barrier(SUBSCRIBERS + 1)

    async def no_recheck():
        return operator_principal()

    async def follow(n: int) -> None:
        stream = subscribe_onboarding(
            operator_principal(), hub, org_id, reauthenticate=no_recheck, recheck_seconds=3600
        )
        async for _ in stream:
            received[n] += 1
            if received[n] == 1:
                await ready.wait()
            if received[n] == 2:
                return

    tasks = [asyncio.create_task(follow(n)) for n in range(SUBSCRIBERS)]
    await ready.wait()
    watch = feed_for(hub).watches[org_id]
    before = watch.computations
    started = time.perf_counter()
    await domains.add_domain(operator_principal(), org_id, "fanout.example")
    await sequence_pending()
    hub.wake()
    await asyncio.gather(*tasks)
    took = time.perf_counter() - started
    print(
        f"fan-out: {SUBSCRIBERS} subscribers of one organization got the new status in "
        f"{took * 1000:.0f} ms, computed {watch.computations - before} time(s)"
    )
    stop.set()
    hub.wake()
    await hub_task


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.db'}"
        await migrate(url)
        await init_db(url)
        try:
            ids = await seed()
            page = []
            for _ in range(RUNS):
                started = time.perf_counter()
                await compute_statuses(ids[:100])
                page.append(time.perf_counter() - started)
            print(f"status of a page of 100 organizations: {ms(page)}")
            scan = []
            for _ in range(5):
                started = time.perf_counter()
                stuck = await organizations_in_state(
                    operator_principal(), StepState.NEEDS_ATTENTION
                )
                scan.append(time.perf_counter() - started)
            assert len(stuck) == len([i for i in range(ORGS) if i % 3 == 2])
            print(f"organizations(onboarding: NEEDS_ATTENTION) over {ORGS}: {ms(scan)}")
            await fan_out((await Organization.first()).id)
        finally:
            await close_db()


if __name__ == "__main__":
    asyncio.run(main())
