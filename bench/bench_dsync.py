"""Directory sync over HTTP: provision users and groups through SCIM POST/PATCH.

Scaled to finish well under two minutes on a 2-core machine shared with other work: USERS
users, then GROUPS groups of GROUP_SIZE members (each filled by PATCHes of 10 members), on
SQLite and, when reachable, PostgreSQL. The server is `gatehouse serve`, as an operator runs
it, on a free port; its peak memory is read from /proc (VmHWM), plus its RSS at half and full
user count to show whether memory grows with the number of users. Each phase also reports the
server's CPU time per request (utime + stime from /proc, children included): on a shared
machine that is the steadier figure, and the one the peer comparison (issue 22) is about.

Phases: user creates (Entra ID's body), user PATCHes (Entra's name/email replace), group
fills by PATCHes of PATCH_BATCH members, then PATCHes adding one member each.

`python bench/bench_dsync.py postgres` (or `sqlite`) runs one backend only.
Environment: BENCH_USERS (default 2000), BENCH_GROUPS (20), BENCH_GROUP_SIZE (100),
BENCH_CONCURRENCY (8), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

import asyncpg
from keepalive_http import Http
from operator_server import serve, stop, wait_ready

from gatehouse.auth.principal import operator_principal
from gatehouse.models import DirectoryType
from gatehouse.resolvers import organizations
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.server.db import close_db, init_db, migrate

USERS = int(os.environ.get("BENCH_USERS", "2000"))
GROUPS = int(os.environ.get("BENCH_GROUPS", "20"))
GROUP_SIZE = int(os.environ.get("BENCH_GROUP_SIZE", "100"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_BATCH = 10


def _add(user_ids: list[str]) -> dict:
    operation = {"op": "Add", "path": "members", "value": [{"value": u} for u in user_ids]}
    return {"schemas": [PATCH_SCHEMA], "Operations": [operation]}


def _cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of a process (fields 14-17 of /proc/pid/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class Phase:
    """Wall time, request count and server CPU of one phase."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.requests = 0
        self.wall = self.cpu = 0.0

    def __enter__(self) -> Self:
        self._wall, self._cpu = time.perf_counter(), _cpu_seconds(self.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = _cpu_seconds(self.pid) - self._cpu

    def __str__(self) -> str:
        n = max(self.requests, 1)
        return f"{n / self.wall:.0f}/s, {self.cpu * 1000 / n:.2f} ms CPU/req"


def _proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def _setup(database_url: str) -> tuple[str, str]:
    await migrate(database_url)
    await init_db(database_url)
    org = await organizations.create_organization(
        operator_principal(), organizations.NewOrganization("Bench")
    )
    directory, token = await directories.create_directory(
        operator_principal(), org.id, "Bench", DirectoryType.ENTRA
    )
    await close_db()
    return directory.id, token


def _start_server(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_URL", "REDIS_URL", "GATEHOUSE_"))
        },
        "DATABASE_URL": database_url,
        "GATEHOUSE_ENV": "production",
        "GATEHOUSE_SECRET_KEY": secrets.token_urlsafe(32),
        "GATEHOUSE_BASE_URL": "http://127.0.0.1",
        # The bench measures provisioning throughput, not the per-directory rate limit.
        "GATEHOUSE_RATE_LIMIT_ENABLED": "false",
    }
    return serve(env, log)


class Client:
    """SCIM requests to one directory, at most CONCURRENCY in flight (so at most CONCURRENCY
    kept-alive connections)."""

    def __init__(self, url: str, directory_id: str, token: str) -> None:
        self.http = Http()
        self.base = f"{url}/scim/v2/{directory_id}"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        self.sem = asyncio.Semaphore(CONCURRENCY)
        self.user_ids: list[str] = []
        self.group_ids: list[str] = []

    async def send(self, method: str, path: str, body: dict, status: int) -> bytes:
        async with self.sem:
            got, content = await self.http.request(method, self.base + path, body, self.headers)
        if got != status:
            raise RuntimeError(f"{method} {path}: {got} {content[:500]!r}")
        return content

    async def create_user(self, i: int) -> None:
        body = {
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "externalId": f"ext-{i}",
            "userName": f"user{i}@bench.example.com",
            "name": {"givenName": "U", "familyName": str(i)},
            "emails": [{"value": f"user{i}@bench.example.com", "primary": True, "type": "work"}],
            "active": True,
        }
        self.user_ids.append(json.loads(await self.send("POST", "/Users", body, 201))["id"])

    async def patch_user(self, i: int) -> None:
        """Entra ID's update: capitalised ops, a value-filter path, a sub-attribute."""
        operations = [
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": f"user{i}@bench.example.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": f"Patched {i}"},
        ]
        body = {"schemas": [PATCH_SCHEMA], "Operations": operations}
        await self.send("PATCH", f"/Users/{self.user_ids[i]}", body, 200)

    async def fill_group(self, g: int, phase: Phase) -> None:
        body = {"schemas": [GROUP_SCHEMA], "displayName": f"g{g}"}
        group_id = json.loads(await self.send("POST", "/Groups", body, 201))["id"]
        self.group_ids.append(group_id)
        users = self.user_ids
        members = [users[(g * GROUP_SIZE + k) % len(users)] for k in range(GROUP_SIZE)]
        for k in range(0, GROUP_SIZE, PATCH_BATCH):
            await self.send("PATCH", f"/Groups/{group_id}", _add(members[k : k + PATCH_BATCH]), 204)
            phase.requests += 1

    def newcomers(self, count: int) -> list[tuple[str, str]]:
        """(group, user) pairs where the user is not in the group yet: from the next group's
        range of users."""
        users, pairs = self.user_ids, []
        for i in range(count):
            g, k = i % len(self.group_ids), i // len(self.group_ids)
            pairs.append((self.group_ids[g], users[(g * GROUP_SIZE + GROUP_SIZE + k) % len(users)]))
        return pairs


async def _phases(client: Client, pid: int) -> tuple[list[tuple[str, Phase]], dict[str, int]]:
    rss: dict[str, int] = {}
    half = USERS // 2
    with Phase(pid) as creates:
        await asyncio.gather(*(client.create_user(i) for i in range(half)))
        rss["half"] = _proc_kib(pid, "VmRSS")
        await asyncio.gather(*(client.create_user(i) for i in range(half, USERS)))
        rss["full"] = _proc_kib(pid, "VmRSS")
    creates.requests = USERS
    with Phase(pid) as patches:
        await asyncio.gather(*(client.patch_user(i) for i in range(USERS)))
    patches.requests = USERS
    with Phase(pid) as fills:
        fills.requests = GROUPS
        await asyncio.gather(*(client.fill_group(g, fills) for g in range(GROUPS)))
    pairs = client.newcomers(min(USERS, 1000))
    with Phase(pid) as singles:
        await asyncio.gather(
            *(client.send("PATCH", f"/Groups/{g}", _add([u]), 204) for g, u in pairs)
        )
    singles.requests = len(pairs)
    rss["peak"] = _proc_kib(pid, "VmHWM")
    phases = [
        ("user creates", creates),
        ("user PATCHes", patches),
        (f"group fills ({GROUPS}x{GROUP_SIZE}, {fills.requests} POST/PATCH)", fills),
        ("one-member group PATCHes", singles),
    ]
    return phases, rss


async def _run(label: str, database_url: str) -> None:
    directory_id, token = await _setup(database_url)
    with tempfile.TemporaryDirectory() as logs:
        log = Path(logs) / "serve.log"
        proc, url = _start_server(database_url, log)
        client = Client(url, directory_id, token)
        try:
            await wait_ready(proc, url, log)
            phases, rss = await _phases(client, proc.pid)
        finally:
            client.http.close()
            stop(proc)
    print(
        f"{label:10s} "
        + " | ".join(f"{name}: {phase}" for name, phase in phases)
        + f" | server RSS {rss['half'] // 1024} MiB at {USERS // 2} users, "
        f"{rss['full'] // 1024} MiB at {USERS}; peak {rss['peak'] // 1024} MiB",
        flush=True,
    )


async def sqlite() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await _run("sqlite", f"sqlite://{Path(tmp) / 'bench.db'}")


async def postgres() -> None:
    name = f"gatehouse_bench_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
    except (OSError, asyncpg.PostgresError) as e:
        print(f"postgres   skipped: {e}")
        return
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base, _, _ = PG_URL.rpartition("/")
        await _run("postgres", f"{base}/{name}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    if len(sys.argv) > 1:
        # One backend per process: Tortoise keeps the first backend's SQL dialect per process.
        asyncio.run({"sqlite": sqlite, "postgres": postgres}[sys.argv[1]]())
        return
    print(
        f"bench_dsync: {USERS} users, {GROUPS} groups of {GROUP_SIZE} (PATCH batches of "
        f"{PATCH_BATCH}), {CONCURRENCY} concurrent clients; scaled down from 10,000/100x100 "
        "to finish in under 2 minutes",
        flush=True,
    )
    for backend in ("sqlite", "postgres"):
        subprocess.run([sys.executable, __file__, backend], check=True)


if __name__ == "__main__":
    main()
