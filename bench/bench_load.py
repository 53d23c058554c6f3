"""Load test: mixed GraphQL traffic against two `gatehouse serve` processes on PostgreSQL
(and Redis when one answers on REDIS_URL, default redis://127.0.0.1:6379/0).

Bounded: DURATION seconds of measured traffic (after WARMUP), at most MAX_REQUESTS requests.
Prints sustained requests/s, p50/p99 latency and the error count, overall and per scenario.

Add a scenario by writing `async def name(ctx) -> None` (raise on a wrong answer) and listing
it in SCENARIOS with a weight: invitations, SCIM PATCHes and subscriptions plug in there.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/bench_load.py
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Member, MemberSource, Role, User
from gatehouse.resolvers import api_keys, organizations
from gatehouse.server.db import close_db, init_db, migrate

DURATION = float(os.environ.get("BENCH_DURATION", "30"))
WARMUP = 3.0
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "60000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
ORGS, MEMBERS_PER_ORG = 20, 50
BASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

MEMBERS = """query Members($id: ID!) { organization(id: $id) { members(first: 20) {
  totalCount edges { node { id status user { email } role { slug } } } } } }"""
ORGANIZATION = (
    "query Org($id: ID!) { organization(id: $id) { id name policy { jitProvisioning } } }"
)
CREATE_MEMBER = """mutation AddMember($org: ID!, $email: String!) { createMember(input:
  {organizationId: $org, email: $email}) { member { id } userErrors { code } } }"""
UPDATE_ROLE = """mutation Role($m: ID!, $slug: String!) { updateMemberRole(input:
  {memberId: $m, roleSlug: $slug}) { member { id } userErrors { code } } }"""


@dataclass
class Tenant:
    org_id: str
    secret: str
    member_ids: list[str]


@dataclass
class Ctx:
    http: httpx.AsyncClient
    servers: itertools.cycle
    tenants: list[Tenant]
    counter: itertools.count = field(default_factory=itertools.count)

    async def gql(self, tenant: Tenant, query: str, variables: dict) -> dict:
        response = await self.http.post(
            next(self.servers) + "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {tenant.secret}"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"{response.status_code} {body.get('errors')}")
        return body["data"]


async def members_query(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    data = await ctx.gql(tenant, MEMBERS, {"id": tenant.org_id})
    assert len(data["organization"]["members"]["edges"]) == 20


async def organization_read(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    data = await ctx.gql(tenant, ORGANIZATION, {"id": tenant.org_id})
    assert data["organization"]["id"] == tenant.org_id


async def create_member(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    email = f"load-{next(ctx.counter)}-{secrets.token_hex(3)}@bench.example"
    data = await ctx.gql(tenant, CREATE_MEMBER, {"org": tenant.org_id, "email": email})
    assert data["createMember"]["userErrors"] == [], data


async def update_member_role(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    member = random.choice(tenant.member_ids)
    slug = random.choice(["admin", "member"])
    data = await ctx.gql(tenant, UPDATE_ROLE, {"m": member, "slug": slug})
    assert data["updateMemberRole"]["userErrors"] == [], data


# (weight, scenario). Hooks for later: invitations, SCIM PATCH, subscriptions.
SCENARIOS = [
    (50, members_query),
    (30, organization_read),
    (10, create_member),
    (10, update_member_role),
]


def _dsn(url: str, database: str) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    return urlunsplit(parts._replace(path=f"/{database}"))


async def _redis_available() -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def seed(url: str) -> list[Tenant]:
    await migrate(url)
    await init_db(url)
    tenants = []
    try:
        op = operator_principal()
        for n in range(ORGS):
            org = await organizations.create_organization(
                op, organizations.NewOrganization(f"Load {n}")
            )
            _, secret = await api_keys.create_api_key(
                op, f"load {n}", org.id, ["organizations:read", "members:read", "members:write"]
            )
            role = await Role.get(organization_id=org.id, slug="member")
            users = [User(email=f"seed-{n}-{i}@bench.example") for i in range(MEMBERS_PER_ORG)]
            await User.bulk_create(users)
            users = await User.filter(email__startswith=f"seed-{n}-")
            await Member.bulk_create(
                [
                    Member(
                        organization_id=org.id,
                        user_id=u.id,
                        role_id=role.id,
                        source=MemberSource.MANUAL,
                    )
                    for u in users
                ]
            )
            ids = await Member.filter(organization_id=org.id).values_list("id", flat=True)
            # Keep the first member an admin, so role changes never hit the last-admin rule.
            await Member.filter(id=ids[0]).update(
                role_id=(await Role.get(organization_id=org.id, slug="admin")).id
            )
            tenants.append(Tenant(org.id, secret, list(ids[1:])))
    finally:
        await close_db()
    return tenants


def start_server(url: str, redis: bool, workdir: Path) -> tuple[subprocess.Popen, str]:
    with contextlib.closing(__import__("socket").socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "GATEHOUSE_"))
    }
    env |= {
        "DATABASE_URL": url,
        "GATEHOUSE_ENV": "production",
        "GATEHOUSE_SECRET_KEY": secrets.token_urlsafe(32),
        # The limiter stays on (its cost is part of the figure) with room for the whole load.
        "GATEHOUSE_RATE_LIMIT_PER_SECOND": "100000",
        "GATEHOUSE_RATE_LIMIT_BURST": "100000",
        "GATEHOUSE_DB_POOL_MAX_SIZE": "10",
    }
    if redis:
        env["REDIS_URL"] = REDIS_URL
    log = (workdir / f"serve-{port}.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gatehouse.server.cli",
            "serve",
            "--port",
            str(port),
            "--log-format",
            "json",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        cwd=workdir,
    )
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(http: httpx.AsyncClient, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get(url + "/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} not ready")


async def drive(ctx: Ctx) -> tuple[dict, float]:
    weights = [w for w, _ in SCENARIOS]
    scenarios = [s for _, s in SCENARIOS]
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    sent = 0
    start = time.perf_counter()
    measure_from = start + WARMUP
    stop_at = measure_from + DURATION

    async def worker() -> None:
        nonlocal sent
        while time.perf_counter() < stop_at and sent < MAX_REQUESTS:
            scenario = random.choices(scenarios, weights)[0]
            t0 = time.perf_counter()
            try:
                await scenario(ctx)
                ok = True
            except Exception as exc:
                ok = False
                if errors["_first"] == 0:
                    errors["_first"] = 1
                    print(f"  first error ({scenario.__name__}): {str(exc)[:200]}")
            t1 = time.perf_counter()
            if t0 >= measure_from:
                sent += 1
                latencies[scenario.__name__].append(t1 - t0)
                if not ok:
                    errors[scenario.__name__] += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = min(time.perf_counter(), stop_at) - measure_from
    errors.pop("_first", None)
    return {"latencies": latencies, "errors": errors}, elapsed


def _pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000
        if len(values) > 1
        else 0.0
    )


async def main() -> None:
    name = f"gatehouse_bench_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(_dsn(BASE_URL, "postgres"), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"load test skipped: no PostgreSQL at BENCH_DATABASE_URL ({type(exc).__name__})")
        return
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _dsn(BASE_URL, name).replace("postgresql://", "postgres://")
    redis = await _redis_available()
    procs = []
    try:
        tenants = await seed(url)
        with tempfile.TemporaryDirectory() as tmp:
            procs = [start_server(url, redis, Path(tmp)) for _ in range(2)]
            limits = httpx.Limits(
                max_connections=CONCURRENCY * 2, max_keepalive_connections=CONCURRENCY * 2
            )
            async with httpx.AsyncClient(timeout=30, limits=limits) as http:
                for _, server_url in procs:
                    await wait_ready(http, server_url)
                ctx = Ctx(http, itertools.cycle([u for _, u in procs]), tenants)
                result, elapsed = await drive(ctx)
            for proc, _ in procs:
                proc.terminate()
                proc.wait(timeout=30)
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    all_latencies = [x for v in result["latencies"].values() for x in v]
    total_errors = sum(result["errors"].values())
    print(
        f"load test: 2 x gatehouse serve, PostgreSQL{' + Redis' if redis else ' (no Redis)'}, "
        f"{CONCURRENCY} concurrent clients, {elapsed:.0f}s measured after {WARMUP:.0f}s warm-up"
    )
    print(f"  {'scenario':<20} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for _, scenario in SCENARIOS:
        values = result["latencies"].get(scenario.__name__, [])
        print(
            f"  {scenario.__name__:<20} {len(values):>9} {_pct(values, 50):>8.1f} "
            f"{_pct(values, 99):>8.1f} {result['errors'].get(scenario.__name__, 0):>7}"
        )
    print(
        f"  {'all':<20} {len(all_latencies):>9} {_pct(all_latencies, 50):>8.1f} "
        f"{_pct(all_latencies, 99):>8.1f} {total_errors:>7}"
    )
    print(f"  sustained: {len(all_latencies) / elapsed:.1f} requests/s, {total_errors} errors")
    # The machine may be shared: the load average tells how much of it the test really had.
    print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    asyncio.run(main())
