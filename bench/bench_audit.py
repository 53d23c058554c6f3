"""members(asOf:) against members, for an organization of 10,000 members with 100,000 history
entries (membership periods), on PostgreSQL. Target: asOf at most 3x the current list.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bench_audit.py

Uses its own database (`gatehouse_bench_audit`, dropped and created) beside the one named;
without a PostgreSQL URL it runs on a temporary SQLite file. Both queries ask for a page of
100 with totalCount, user and role, through GraphQL over in-process ASGI.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Member, MembershipPeriod, MemberSource, Role, User
from gatehouse.resolvers import api_keys, organizations
from gatehouse.server.app import create_app
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.settings import Settings

MEMBERS = 10_000
PERIODS_PER_MEMBER = 10  # 100,000 history entries
RUNS = 30
QUERY = """query($id: ID!, $at: DateTime) { organization(id: $id) {
  members(first: 100, asOf: $at) { totalCount edges { node { id status
    user { email } role { slug } } } } } }"""
DB_NAME = "gatehouse_bench_audit"


async def database_url() -> tuple[str, str]:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgres"):
        tmp = tempfile.mkdtemp()
        return f"sqlite://{Path(tmp) / 'bench.db'}", "SQLite"
    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1))
    await conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
    await conn.execute(f"CREATE DATABASE {DB_NAME}")
    await conn.close()
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{DB_NAME}")), "PostgreSQL"


async def seed() -> str:
    op = operator_principal()
    org = await organizations.create_organization(op, organizations.NewOrganization("Bench"))
    roles = [await Role.get(organization_id=org.id, slug=s) for s in ("member", "admin")]
    await User.bulk_create(
        [User(email=f"u{i}@bench.example") for i in range(MEMBERS)], batch_size=2000
    )
    users = await User.all().order_by("id")
    await Member.bulk_create(
        [
            Member(
                organization_id=org.id,
                user_id=u.id,
                role_id=roles[0].id,
                source=MemberSource.MANUAL,
            )
            for u in users
        ],
        batch_size=2000,
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    periods = []
    for i, m in enumerate(await Member.filter(organization_id=org.id).order_by("id")):
        for p in range(PERIODS_PER_MEMBER):
            frm = start + timedelta(days=30 * p, minutes=i)
            last = p == PERIODS_PER_MEMBER - 1
            role = roles[p % 2]
            periods.append(
                MembershipPeriod(
                    organization_id=org.id,
                    member_id=m.id,
                    user_id=m.user_id,
                    role_id=role.id,
                    role_slug=role.slug,
                    status="ACTIVE" if p % 3 else "INACTIVE",
                    source="MANUAL",
                    valid_from=frm,
                    valid_to=None if last else frm + timedelta(days=30),
                )
            )
    await MembershipPeriod.bulk_create(periods, batch_size=5000)
    return org.id


async def timed(client: httpx.AsyncClient, org_id: str, at: str | None) -> float:
    samples = []
    for run in range(RUNS + 3):
        started = time.perf_counter()
        r = await client.post(
            "/graphql", json={"query": QUERY, "variables": {"id": org_id, "at": at}}
        )
        elapsed = time.perf_counter() - started
        page = r.json()["data"]["organization"]["members"]
        assert len(page["edges"]) == 100, r.text[:300]
        if run >= 3:  # warm-up
            samples.append(elapsed)
    return statistics.median(samples)


async def main() -> None:
    url, label = await database_url()
    await migrate(url)
    await init_db(url)
    org_id = await seed()
    if label == "PostgreSQL":
        # What autovacuum does on its own after a bulk load: statistics and visibility map.
        from tortoise import Tortoise

        await Tortoise.get_connection("default").execute_script("VACUUM ANALYZE")
    _, secret = await api_keys.create_api_key(operator_principal(), "bench")
    app = create_app(
        Settings(DATABASE_URL=url, GATEHOUSE_RATE_LIMIT_ENABLED=False), manage_db=False
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        headers={"Authorization": f"Bearer {secret}"},
    ) as client:
        now = await timed(client, org_id, None)
        middle = await timed(client, org_id, "2026-05-20T12:00:00+00:00")
        latest = await timed(client, org_id, datetime.now(UTC).isoformat())
    await close_db()
    total = await_count = MEMBERS * PERIODS_PER_MEMBER
    del await_count
    print(f"members(asOf:) vs members ({label}; {MEMBERS:,} members, {total:,} history entries,")
    print(f"  page of 100 with totalCount, user and role; median of {RUNS})")
    print(f"  members                 : {now * 1000:8.1f} ms")
    print(f"  members(asOf: mid-year) : {middle * 1000:8.1f} ms  ratio {middle / now:5.2f}x")
    print(f"  members(asOf: now)      : {latest * 1000:8.1f} ms  ratio {latest / now:5.2f}x")
    print("  target                  : <= 3x")


if __name__ == "__main__":
    asyncio.run(main())
