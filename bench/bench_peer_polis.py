"""Gatehouse next to Ory Polis (BoxyHQ SAML Jackson, pinned in bench/peer/package.json), in one
run: the same SCIM and SAML requests, from one httpx client, to a `gatehouse serve` process and
to Jackson behind node:http (bench/peer/server.js), each on its own fresh PostgreSQL database.

Phases, each run on both services in turn, the order alternating from round to round (Gatehouse
first in even rounds, Polis first in odd ones): SCIM user creates, sequential and at
BENCH_CONCURRENCY; user PATCHes in Entra ID's shapes (replace with and without a path: active,
name.givenName, emails[type eq "work"].value); group PATCHes adding one member; group PATCHes
adding BENCH_BULK_SIZE members at once; IdP-initiated SAML ACS posts signed with one IdP key,
identical but for each service's ACS URL and audience (returning users: each signed in once
before measuring). PATCHes and ACS posts are sequential. Per phase and service: req/s, p50/p99
latency, and CPU per request of the server's process tree and of its database's PostgreSQL
backends, read from /proc before and after each phase; then the ratios Gatehouse/Polis. On a
machine shared with other work, trust the CPU-per-request ratios over req/s.

Environment: BENCH_ROUNDS (2), BENCH_CREATES_SEQ (60), BENCH_CREATES_CONCURRENT (160),
BENCH_USER_PATCHES (100), BENCH_GROUP_PATCHES (60), BENCH_BULK_PATCHES (2), BENCH_BULK_SIZE
(200), BENCH_ACS (80), BENCH_CONCURRENCY (8), BENCH_PG_URL
(postgres://postgres@127.0.0.1:5432/postgres), BENCH_LOG_DIR (a directory to keep the servers'
logs in). Needs node and npm; the first run installs the peer (`npm install` in bench/peer).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

import gatehouse

sys.path.insert(0, str(Path(__file__).resolve().parent / "peer"))
import shapes
from services import Service, node_ready, pg_cpu, pg_delta, start_gatehouse, start_polis

from tests.sso.saml_idp import KeyPair, make_keypair

ENV = os.environ.get
ROUNDS = int(ENV("BENCH_ROUNDS", "2"))
CREATES_SEQ = int(ENV("BENCH_CREATES_SEQ", "60"))
CREATES_CONCURRENT = int(ENV("BENCH_CREATES_CONCURRENT", "160"))
USER_PATCHES = int(ENV("BENCH_USER_PATCHES", "100"))
GROUP_PATCHES = int(ENV("BENCH_GROUP_PATCHES", "60"))
BULK_PATCHES = int(ENV("BENCH_BULK_PATCHES", "2"))
BULK_SIZE = int(ENV("BENCH_BULK_SIZE", "200"))
ACS = int(ENV("BENCH_ACS", "80"))
CONCURRENCY = int(ENV("BENCH_CONCURRENCY", "8"))
PG_URL = ENV("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
LOG_DIR = ENV("BENCH_LOG_DIR")  # keep the servers' logs there (gatehouse.log, polis.log)
WARM_CREATES = 20


@dataclass
class Req:
    method: str
    url: str
    json: object = None
    form: dict[str, str] | None = None


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0
    pg: float = 0.0
    members: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class Side:
    """One service with what the run has created there so far."""

    service: Service
    keys: KeyPair
    users: list[str] = field(default_factory=list)
    numbers: itertools.count = field(default_factory=itertools.count)

    @property
    def headers(self) -> dict[str, str]:
        token = self.service.scim_token
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}


async def run(
    http: httpx.AsyncClient,
    side: Side,
    reqs: list[Req],
    tally: Tally,
    admin: asyncpg.Connection,
    concurrency: int = 1,
    then: Callable[[httpx.Response], None] | None = None,
) -> None:
    s, queue = side.service, iter(reqs)

    async def worker() -> None:
        for req in queue:
            start = time.perf_counter()
            headers = None if req.form else side.headers
            try:
                r = await http.request(
                    req.method, req.url, json=req.json, data=req.form, headers=headers
                )
            except httpx.HTTPError as e:
                tally.errors[type(e).__name__] += 1
                continue
            tally.latencies.append(time.perf_counter() - start)
            tally.statuses[r.status_code] += 1
            if r.status_code >= 400:
                tally.errors[f"{r.status_code} {r.text[:160]}"] += 1
            elif then:
                then(r)

    pg0, cpu0, t0 = await pg_cpu(admin, s.database), s.cpu(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.wall += time.perf_counter() - t0
    tally.cpu += s.cpu() - cpu0
    tally.pg += pg_delta(pg0, await pg_cpu(admin, s.database))


async def creates(http, side: Side, tally: Tally, admin, n: int, concurrency: int) -> None:
    reqs = [
        Req("POST", f"{side.service.scim}/Users", shapes.entra_user(next(side.numbers)))
        for _ in range(n)
    ]
    await run(
        http, side, reqs, tally, admin, concurrency, lambda r: side.users.append(r.json()["id"])
    )


async def user_patches(http, side: Side, tally: Tally, admin, rnd: int) -> None:
    users, scim = side.users, side.service.scim
    ks = range(rnd * USER_PATCHES, (rnd + 1) * USER_PATCHES)
    reqs = [
        Req(
            "PATCH", f"{scim}/Users/{users[(k // shapes.CYCLE) % len(users)]}", shapes.user_patch(k)
        )
        for k in ks
    ]
    await run(http, side, reqs, tally, admin)


async def new_group(http: httpx.AsyncClient, side: Side, name: str) -> str:
    r = await http.post(
        f"{side.service.scim}/Groups", json=shapes.entra_group(name), headers=side.headers
    )
    r.raise_for_status()
    return r.json()["id"]


async def group_adds(http, side: Side, tally: Tally, admin, rnd: int) -> None:
    group = await new_group(http, side, f"one-{rnd}")
    users = side.users[-GROUP_PATCHES:]
    url = f"{side.service.scim}/Groups/{group}"
    await run(
        http, side, [Req("PATCH", url, shapes.members_patch([u])) for u in users], tally, admin
    )
    tally.members += len(users)


async def bulk_adds(http, side: Side, tally: Tally, admin, rnd: int) -> None:
    members = side.users[-BULK_SIZE:]
    groups = [await new_group(http, side, f"bulk-{rnd}-{g}") for g in range(BULK_PATCHES)]
    scim = side.service.scim
    reqs = [Req("PATCH", f"{scim}/Groups/{g}", shapes.members_patch(members)) for g in groups]
    await run(http, side, reqs, tally, admin)
    tally.members += len(members) * len(groups)


async def sign_ins(http, side: Side, tally: Tally, admin, _: int = 0) -> None:
    s = side.service
    posts = shapes.acs_responses(s.acs, s.audience, side.keys, ACS)  # signed before measuring

    def signed_in(r: httpx.Response) -> None:
        location = r.headers.get("location", "")
        if r.status_code != 302 or "code=" not in location:
            tally.errors[f"{r.status_code} to {location[:100]}"] += 1

    reqs = [Req("POST", s.acs, form={"SAMLResponse": x}) for x in posts]
    await run(http, side, reqs, tally, admin, then=signed_in)


Phase = Callable[[httpx.AsyncClient, Side, Tally, asyncpg.Connection, int], Awaitable[None]]
PHASES: dict[str, Phase] = {
    "create (seq)": lambda h, s, t, a, _: creates(h, s, t, a, CREATES_SEQ, 1),
    f"create (c{CONCURRENCY})": lambda h, s, t, a, _: creates(
        h, s, t, a, CREATES_CONCURRENT, CONCURRENCY
    ),
    "user PATCH": user_patches,
    "group PATCH +1": group_adds,
    f"group PATCH +{BULK_SIZE}": bulk_adds,
    "SAML ACS": sign_ins,
}


def pct(ms: list[float], q: int) -> float:
    return statistics.quantiles(ms, n=100, method="inclusive")[q - 1] if len(ms) > 1 else sum(ms)


def report(tallies: dict[str, dict[str, Tally]]) -> None:
    print(
        f"\n{'phase':17s} {'service':9s} {'reqs':>5s} {'req/s':>7s} {'p50 ms':>7s} {'p99 ms':>7s} "
        f"{'cpu ms/req':>10s} {'pg ms/req':>9s}  statuses"
    )
    ratios = []
    for p, by_service in tallies.items():
        figures = {}
        for name, t in by_service.items():
            done, ms = len(t.latencies), [x * 1000 for x in t.latencies] or [0.0]
            rate = done / t.wall if t.wall else 0.0
            cpu, pg = 1000 * t.cpu / max(done, 1), 1000 * t.pg / max(done, 1)
            figures[name] = (rate, cpu, cpu + pg)
            statuses = " ".join(f"{n}x{code}" for code, n in sorted(t.statuses.items()))
            print(
                f"{p:17s} {name:9s} {done:5d} {rate:7.1f} {pct(ms, 50):7.1f} {pct(ms, 99):7.1f} "
                f"{cpu:10.2f} {pg:9.2f}  {statuses}"
            )
            if t.members and t.wall:
                print(
                    f"{'':27s} {t.members / t.wall:.0f} members/s, "
                    f"{1000 * t.cpu / t.members:.2f} server cpu ms/member"
                )
            for error, n in t.errors.items():
                print(f"{'':27s} ERROR {n}x {error}")
        g, q = figures["gatehouse"], figures["polis"]
        ratios.append((p, *(a / b if b else float("nan") for a, b in zip(g, q, strict=True))))
    print("\nGatehouse/Polis    req/s  server CPU/req  server+PG CPU/req  (CPU < 1: cheaper)")
    for p, rate, cpu, both in ratios:
        print(f"{p:17s} {rate:6.2f}x {cpu:13.2f}x {both:16.2f}x")


async def check(http: httpx.AsyncClient, side: Side) -> None:
    s = side.service
    r = await http.get(f"{s.scim}/Users/{side.users[0]}", headers=side.headers)
    wrong = shapes.after_cycle(r.json() if r.status_code == 200 else {})
    print(
        f"check {s.name}: the first user after the five Entra PATCHes "
        + (f"differs (got, wanted): {wrong}; GET {r.status_code}" if wrong else "is as expected")
    )


DIFFERENCES = """Where the two differ (same bodies otherwise):
- SCIM base: Gatehouse /scim/v2/<directory>; Polis /api/scim/v2.0/<directory> (Entra's
  ?aadOptscim062020 flag left off). Group PATCH answers: Gatehouse 204, Polis 200 with the group.
- Directory events: Gatehouse writes them in the request's transaction; Polis (webhook batch
  mode, no cron) stores one row per event for later delivery. Neither delivers during the run.
- SAML: Gatehouse's ACS is per connection (audience = its SP entity ID); Polis has one ACS that
  finds the connection by Issuer (audience = its samlAudience option) and checks the audience
  but not Destination/Recipient. Gatehouse also stores the assertion ID (replays refused),
  resolves the member, records the sign-in (event, attempt) and a one-time code; Polis stores
  an OAuth code. Gatehouse writes one access-log line per request (production default).
  Polis runs under node:http here, not Next.js as deployed."""


async def measure(
    http: httpx.AsyncClient, sides: list[Side], admin: asyncpg.Connection, versions: str
) -> None:
    print(
        f"bench_peer_polis: {ROUNDS} rounds; each round and service: {CREATES_SEQ} sequential and "
        f"{CREATES_CONCURRENT} concurrent creates, {USER_PATCHES} user PATCHes, {GROUP_PATCHES} "
        f"+1 and {BULK_PATCHES} +{BULK_SIZE} group PATCHes, {ACS} ACS posts; {versions}; "
        f"gatehouse from {Path(gatehouse.__file__).parent.parent}; {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    for side in sides:  # not counted: the first sign-ins (JIT), the first SCIM requests
        warm = Tally()
        await sign_ins(http, side, warm, admin)
        await creates(http, side, warm, admin, WARM_CREATES, 1)
        for error, n in warm.errors.items():
            print(f"warm-up on {side.service.name}: {n}x {error}")
        side.users.clear()  # the measured PATCHes start at the cycle's first shape
    tallies = {p: {side.service.name: Tally() for side in sides} for p in PHASES}
    for rnd in range(ROUNDS):
        order = sides if rnd % 2 == 0 else sides[::-1]
        for p, phase in PHASES.items():
            for side in order:
                tally = tallies[p][side.service.name]
                if side.users or p.startswith(("create", "SAML")):
                    await phase(http, side, tally, admin, rnd)
                else:
                    tally.errors["skipped: no user was created"] += 1
        names = " then ".join(side.service.name for side in order)
        print(f"round {rnd + 1}/{ROUNDS} done ({names}, phase by phase)", flush=True)
    report(tallies)
    for side in sides:
        if side.users:
            await check(http, side)
    print(f"load average after: {os.getloadavg()[0]:.1f}\n{DIFFERENCES}")


async def main() -> None:
    try:
        admin = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
    except (OSError, asyncpg.PostgresError) as e:
        print(f"bench_peer_polis skipped: PostgreSQL not reachable at {PG_URL}: {e}")
        return
    why, versions = await asyncio.to_thread(node_ready)
    if why:
        print(f"bench_peer_polis skipped: {why}")
        await admin.close()
        return
    suffix = secrets.token_hex(3)
    databases = [f"gatehouse_peer_{suffix}", f"polis_bench_{suffix}"]
    for db in databases:
        await admin.execute(f'CREATE DATABASE "{db}"')
    keys = make_keypair("Bench IdP")  # the one IdP key both services trust
    pg = PG_URL.rpartition("/")[0]
    services: list[Service] = []
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            logs = Path(LOG_DIR or tmp)
            await asyncio.to_thread(logs.mkdir, parents=True, exist_ok=True)
            async with httpx.AsyncClient(timeout=120, limits=limits) as http:
                for start, db in zip((start_gatehouse, start_polis), databases, strict=True):
                    services.append(await start(http, pg, db, keys, logs))
                await measure(http, [Side(s, keys) for s in services], admin, versions)
    finally:
        for s in services:
            s.stop()
        for db in databases:
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
