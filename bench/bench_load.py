"""Load test: mixed traffic against two `gatehouse serve` processes on PostgreSQL (and Redis
when one answers on REDIS_URL, default redis://127.0.0.1:6379/0).

Closed loop: BENCH_CONCURRENCY clients (default 8) each send a request, wait for the answer,
then send the next, alternating between the two processes. The mix: members pages (the main
share), organization reads, members added and re-roled, invitations (mailed over SMTP to a
sink in this process), SCIM PATCHes of provisioned users, and members pages read by a
signed-in admin with an access token (ES256, checked against the server's key) instead of
an API key. Meanwhile BENCH_SUBSCRIBERS
graphql-transport-ws clients (default 20, half on each process) follow their organization's
events for the whole run; each checks its sequence numbers for gaps and duplicates.

Bounded: BENCH_DURATION seconds (default 30) of measured traffic after WARMUP, at most
BENCH_MAX_REQUESTS requests. Prints requests/s, p50/p99 latency and errors per scenario and
overall; subscription deliveries with their latency from the event's `occurredAt` to arrival;
and CPU milliseconds per request spent by the servers, PostgreSQL (this database's backends)
and this load generator, which say more than requests/s when other work shares the machine
(Redis's share is not counted). BENCH_SCENARIOS (names,
comma-separated) runs only those scenarios, to see what each one costs.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/bench_load.py
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import websockets
from aiosmtpd.smtp import SMTP
from keepalive_http import Http

from gatehouse.auth.principal import operator_principal
from gatehouse.models import AuthenticationMethod, Member, MemberSource, Role, User
from gatehouse.resolvers import api_keys, organizations
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.resolvers.sign_in.authentication import authenticate_member
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.settings import Settings

DURATION = float(os.environ.get("BENCH_DURATION", "30"))
WARMUP = 3.0
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "60000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "20"))
ORGS, MEMBERS_PER_ORG, SCIM_USERS_PER_ORG = 20, 50, 10
BASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# The member role's permissions among them: an invitation never grants more than its sender holds.
SCOPES = [
    "organizations:read",
    "members:read",
    "members:write",
    "roles:read",
    "domains:read",
    "invitations:write",
    "events:read",
]
SECRET_KEY = secrets.token_urlsafe(32)
# Access tokens outlive the run (a product refreshes before they expire); the servers check
# them with the same key and lifetime.
ACCESS_TOKEN_TTL = "3600"
SETTINGS = Settings(
    GATEHOUSE_SECRET_KEY=SECRET_KEY, GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS=int(ACCESS_TOKEN_TTL)
)
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_TYPE = "application/scim+json"

MEMBERS = """query Members($id: ID!) { organization(id: $id) { members(first: 20) {
  totalCount edges { node { id status user { email } role { slug } } } } } }"""
ORGANIZATION = (
    "query Org($id: ID!) { organization(id: $id) { id name policy { jitProvisioning } } }"
)
CREATE_MEMBER = """mutation AddMember($org: ID!, $email: String!) { createMember(input:
  {organizationId: $org, email: $email}) { member { id } userErrors { code } } }"""
UPDATE_ROLE = """mutation Role($m: ID!, $slug: String!) { updateMemberRole(input:
  {memberId: $m, roleSlug: $slug}) { member { id } userErrors { code } } }"""
INVITE = """mutation Invite($org: ID!, $email: String!) { createInvitation(input:
  {organizationId: $org, email: $email}) { invitation { id state } userErrors { code } } }"""
EVENTS = """subscription Follow($org: ID!) { events(organizationId: $org) {
  id type occurredAt sequence } }"""


@dataclass
class Tenant:
    org_id: str
    secret: str
    member_ids: list[str]
    directory_id: str
    scim_token: str
    access_token: str  # the organization's first admin, signed in by emailed code
    scim_user_ids: list[str] = field(default_factory=list)


@dataclass
class Ctx:
    http: Http
    servers: itertools.cycle
    tenants: list[Tenant]
    counter: itertools.count = field(default_factory=itertools.count)
    invitations: int = 0

    async def gql(
        self, tenant: Tenant, query: str, variables: dict, credential: str | None = None
    ) -> dict:
        status, content = await self.http.request(
            "POST",
            next(self.servers) + "/graphql",
            {"query": query, "variables": variables},
            {
                "Authorization": f"Bearer {credential or tenant.secret}",
                "Content-Type": "application/json",
            },
        )
        body = json.loads(content)
        if status != 200 or body.get("errors"):
            raise RuntimeError(f"{status} {body.get('errors')}")
        return body["data"]

    async def scim(self, tenant: Tenant, method: str, path: str, body: dict) -> dict:
        status, content = await self.http.request(
            method,
            f"{next(self.servers)}/scim/v2/{tenant.directory_id}{path}",
            body,
            {"Authorization": f"Bearer {tenant.scim_token}", "Content-Type": SCIM_TYPE},
        )
        if status not in (200, 201):
            raise RuntimeError(f"{status} {content[:200]!r}")
        return json.loads(content)


async def members_query(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    data = await ctx.gql(tenant, MEMBERS, {"id": tenant.org_id})
    assert len(data["organization"]["members"]["edges"]) == 20


async def members_query_signed_in(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    data = await ctx.gql(tenant, MEMBERS, {"id": tenant.org_id}, tenant.access_token)
    assert len(data["organization"]["members"]["edges"]) == 20


async def organization_read(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    data = await ctx.gql(tenant, ORGANIZATION, {"id": tenant.org_id})
    assert data["organization"]["id"] == tenant.org_id


def _email(ctx: Ctx, kind: str) -> str:
    return f"{kind}-{next(ctx.counter)}-{secrets.token_hex(3)}@bench.example"


async def create_member(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    email = _email(ctx, "load")
    data = await ctx.gql(tenant, CREATE_MEMBER, {"org": tenant.org_id, "email": email})
    assert data["createMember"]["userErrors"] == [], data


async def update_member_role(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    member = random.choice(tenant.member_ids)
    slug = random.choice(["admin", "member"])
    data = await ctx.gql(tenant, UPDATE_ROLE, {"m": member, "slug": slug})
    assert data["updateMemberRole"]["userErrors"] == [], data


async def create_invitation(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    email = _email(ctx, "invitee")
    data = await ctx.gql(tenant, INVITE, {"org": tenant.org_id, "email": email})
    payload = data["createInvitation"]
    assert payload["userErrors"] == [], data
    assert payload["invitation"]["state"] == "PENDING", data
    ctx.invitations += 1


async def scim_patch(ctx: Ctx) -> None:
    tenant = random.choice(ctx.tenants)
    user_id = random.choice(tenant.scim_user_ids)
    active = random.random() < 0.8  # mostly renames; some (re)activations and deactivations
    given = f"Given{random.randrange(1000)}"
    operations = [
        {"op": "replace", "path": "name.givenName", "value": given},
        {"op": "replace", "path": "active", "value": active},
    ]
    body = await ctx.scim(
        tenant, "PATCH", f"/Users/{user_id}", {"schemas": [SCIM_PATCH], "Operations": operations}
    )
    assert body["active"] is active, body
    assert body["name"]["givenName"] == given, body


# (weight, scenario): members pages are the main share, as on a real dashboard.
SCENARIOS = [
    (30, members_query),
    (15, members_query_signed_in),
    (20, organization_read),
    (8, create_member),
    (7, update_member_role),
    (10, create_invitation),
    (10, scim_patch),
]
if only := os.environ.get("BENCH_SCENARIOS"):  # e.g. "members_query,scim_patch": one cost at a time
    SCENARIOS = [(w, s) for w, s in SCENARIOS if s.__name__ in only.split(",")]


class MailSink:
    """An SMTP server that only counts: invitation mail must leave the process to count."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's API
        self.received += 1
        return "250 OK"


@dataclass
class Subscriber:
    """One graphql-transport-ws connection following one organization's events."""

    url: str
    tenant: Tenant
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    errors: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    last_sequence: int | None = None
    measure_from: float = float("inf")  # wall clock

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._follow(stop)
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {str(exc)[:150]}")
        finally:
            self.ready.set()

    async def _follow(self, stop: asyncio.Event) -> None:
        ws_url = self.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(
            ws_url, subprotocols=["graphql-transport-ws"], max_queue=None
        ) as ws:
            init = {"authorization": f"Bearer {self.tenant.secret}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            payload = {"query": EVENTS, "variables": {"org": self.tenant.org_id}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self.ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                self._handle(json.loads(raw), time.time())
            await ws.send(json.dumps({"id": "1", "type": "complete"}))

    def _handle(self, message: dict, now: float) -> None:
        kind = message.get("type")
        if kind == "ping":
            return
        if kind != "next" or message.get("payload", {}).get("errors"):
            self.errors.append(json.dumps(message)[:200])
            return
        event = message["payload"]["data"]["events"]
        sequence = event["sequence"]
        if self.last_sequence is not None and sequence != self.last_sequence + 1:
            self.errors.append(f"sequence {sequence} after {self.last_sequence}")
        self.last_sequence = sequence
        occurred = datetime.fromisoformat(event["occurredAt"]).timestamp()
        if occurred >= self.measure_from:
            self.received += 1
            self.latencies.append(now - occurred)


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
            _, secret = await api_keys.create_api_key(op, f"load {n}", org.id, SCOPES)
            directory, scim_token = await directories.create_directory(op, org.id, f"Load {n}")
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
            admin = await Member.get(id=ids[0])
            signed_in = await authenticate_member(admin, AuthenticationMethod.EMAIL_CODE, SETTINGS)
            tenants.append(
                Tenant(
                    org.id,
                    secret,
                    list(ids[1:]),
                    directory.id,
                    scim_token,
                    signed_in.access_token,
                )
            )
    finally:
        await close_db()
    return tenants


async def provision_scim_users(ctx: Ctx) -> None:
    """Users the SCIM PATCHes change, created through the SCIM API as an IdP would."""

    async def create(n: int, tenant: Tenant, i: int) -> None:
        email = f"scim-{n}-{i}@bench.example"
        body = {
            "schemas": [SCIM_USER],
            "userName": email,
            "name": {"givenName": "Scim", "familyName": str(i)},
            "emails": [{"value": email, "primary": True}],
            "active": True,
        }
        tenant.scim_user_ids.append((await ctx.scim(tenant, "POST", "/Users", body))["id"])

    for n, tenant in enumerate(ctx.tenants):
        await asyncio.gather(*(create(n, tenant, i) for i in range(SCIM_USERS_PER_ORG)))


def start_server(
    url: str, redis: bool, smtp_port: int, workdir: Path
) -> tuple[subprocess.Popen, str]:
    with contextlib.closing(socket.socket()) as s:
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
        "GATEHOUSE_SECRET_KEY": SECRET_KEY,
        # The limiter stays on (its cost is part of the figure) with room for the whole load.
        "GATEHOUSE_RATE_LIMIT_PER_SECOND": "100000",
        "GATEHOUSE_RATE_LIMIT_BURST": "100000",
        "GATEHOUSE_DB_POOL_MAX_SIZE": "10",
        "GATEHOUSE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?starttls=off",
        "GATEHOUSE_INVITATIONS_PER_HOUR": "0",
        "GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS": ACCESS_TOKEN_TTL,
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


async def wait_ready(http: httpx.AsyncClient, url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get(url + "/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    tail = await asyncio.to_thread(log.read_text)
    raise RuntimeError(f"{url} not ready; its log ends:\n{tail[-2000:]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, from /proc (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def postgres_backends(admin: asyncpg.Connection, database: str) -> list[int]:
    rows = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    return [r["pid"] for r in rows]


async def drive(ctx: Ctx, measure_from: float) -> tuple[dict, float]:
    weights = [w for w, _ in SCENARIOS]
    scenarios = [s for _, s in SCENARIOS]
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    first_error: dict[str, str] = {}
    sent = 0
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
                first_error.setdefault(scenario.__name__, f"{type(exc).__name__}: {exc}"[:200])
            t1 = time.perf_counter()
            if t0 >= measure_from:
                sent += 1
                latencies[scenario.__name__].append(t1 - t0)
                if not ok:
                    errors[scenario.__name__] += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = min(time.perf_counter(), stop_at) - measure_from
    for name, message in first_error.items():
        print(f"  first error ({name}): {message}")
    return {"latencies": latencies, "errors": errors}, elapsed


def _pct(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000
        if len(values) > 1
        else 0.0
    )


async def run(url: str, database: str, admin: asyncpg.Connection, redis: bool) -> dict:
    tenants = await seed(url)
    sink = MailSink()
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(lambda: SMTP(sink), "127.0.0.1", 0)
    procs: list[tuple[subprocess.Popen, str]] = []
    stop = asyncio.Event()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            smtp_port = smtp.sockets[0].getsockname()[1]
            procs = [start_server(url, redis, smtp_port, Path(tmp)) for _ in range(2)]
            async with httpx.AsyncClient(timeout=30) as http:
                for _, server_url in procs:
                    port = server_url.rpartition(":")[2]
                    await wait_ready(http, server_url, Path(tmp) / f"serve-{port}.log")
            servers = [u for _, u in procs]
            # Each closed-loop client holds at most one connection per server, kept alive.
            ctx = Ctx(Http(), itertools.cycle(servers), tenants)
            try:
                await provision_scim_users(ctx)
                subscribers = [
                    Subscriber(servers[i % 2], tenants[i % len(tenants)])
                    for i in range(SUBSCRIBERS)
                ]
                tasks = [asyncio.create_task(s.run(stop)) for s in subscribers]
                await asyncio.gather(*(s.ready.wait() for s in subscribers))
                measure_from = time.perf_counter() + WARMUP
                wall_from = time.time() + WARMUP
                for s in subscribers:
                    s.measure_from = wall_from
                cpu_task = asyncio.create_task(_cpu_at(measure_from, procs, admin, database))
                result, elapsed = await drive(ctx, measure_from)
                cpu_before, backends = await cpu_task
                cpu_after = _cpu([p.pid for p, _ in procs], backends)
                # Deliveries of the last events are still in flight: give them a moment.
                await asyncio.sleep(1.0)
                stop.set()
                await asyncio.gather(*tasks)
            finally:
                ctx.http.close()
            for proc, _ in procs:
                proc.terminate()
                proc.wait(timeout=30)
    finally:
        stop.set()
        smtp.close()
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
    result |= {
        "elapsed": elapsed,
        "subscribers": subscribers,
        "mail": sink.received,
        "invitations": ctx.invitations,
        "cpu": {k: cpu_after[k] - cpu_before[k] for k in cpu_after},
    }
    return result


def _cpu(server_pids: list[int], backend_pids: list[int]) -> dict[str, float]:
    return {
        "servers": sum(cpu_seconds(p) for p in server_pids),
        "postgres": sum(cpu_seconds(p) for p in backend_pids),
        "load generator": cpu_seconds(os.getpid()),
    }


async def _cpu_at(
    at: float, procs: list, admin: asyncpg.Connection, database: str
) -> tuple[dict[str, float], list[int]]:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    backends = await postgres_backends(admin, database)
    return _cpu([p.pid for p, _ in procs], backends), backends


def report(result: dict, redis: bool) -> None:
    elapsed = result["elapsed"]
    all_latencies = [x for v in result["latencies"].values() for x in v]
    total_errors = sum(result["errors"].values())
    print(
        f"load test: 2 x gatehouse serve, PostgreSQL{' + Redis' if redis else ' (no Redis)'}, "
        f"{CONCURRENCY} closed-loop clients, {SUBSCRIBERS} subscribers, "
        f"{elapsed:.0f}s measured after {WARMUP:.0f}s warm-up"
    )
    print(
        f"  {'scenario':<20} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for _, scenario in SCENARIOS:
        values = result["latencies"].get(scenario.__name__, [])
        print(
            f"  {scenario.__name__:<20} {len(values):>9} {len(values) / elapsed:>7.1f} "
            f"{_pct(values, 50):>8.1f} {_pct(values, 99):>8.1f} "
            f"{result['errors'].get(scenario.__name__, 0):>7}"
        )
    print(
        f"  {'all':<20} {len(all_latencies):>9} {len(all_latencies) / elapsed:>7.1f} "
        f"{_pct(all_latencies, 50):>8.1f} {_pct(all_latencies, 99):>8.1f} {total_errors:>7}"
    )
    subscribers = result["subscribers"]
    delivered = [x for s in subscribers for x in s.latencies]
    sub_errors = [e for s in subscribers for e in s.errors]
    print(
        f"  subscriptions: {len(delivered)} events delivered to {len(subscribers)} subscribers, "
        f"occurredAt -> received p50 {_pct(delivered, 50):.1f} ms, "
        f"p99 {_pct(delivered, 99):.1f} ms, {len(sub_errors)} errors"
    )
    for error in sub_errors[:3]:
        print(f"    subscription error: {error}")
    print(
        f"  mail: {result['mail']} emails reached the SMTP sink for "
        f"{result['invitations']} invitations created (warm-up included)"
    )
    requests = max(len(all_latencies), 1)
    cpu = result["cpu"]
    print(
        "  CPU per request: "
        + ", ".join(f"{k} {v / requests * 1000:.2f} ms" for k, v in cpu.items())
        + f" (total {sum(cpu.values()) / requests * 1000:.2f} ms)"
    )
    print(
        f"  sustained: {len(all_latencies) / elapsed:.1f} requests/s, "
        f"{total_errors} errors, {len(sub_errors)} subscription errors"
    )
    # The machine may be shared: the load average tells how much of it the test really had.
    print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")


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
    try:
        result = await run(url, name, admin, redis)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    report(result, redis)


if __name__ == "__main__":
    asyncio.run(main())
