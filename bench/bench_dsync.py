"""Directory sync over HTTP: provision users and groups through SCIM POST/PATCH.

Scaled to finish well under two minutes on a 2-core machine shared with other work: USERS
users, then GROUPS groups of GROUP_SIZE members (each filled by PATCHes of 10 members), on
SQLite and, when reachable, PostgreSQL. The server is a real uvicorn process on an ephemeral
port; its peak memory is read from /proc (VmHWM), plus its RSS at half and full user count to
show whether memory grows with the number of users.

Environment: BENCH_USERS (default 2000), BENCH_GROUPS (20), BENCH_GROUP_SIZE (100),
BENCH_CONCURRENCY (8), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from gatehouse.auth.principal import operator_principal
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
PATCH_BATCH = 10


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
    directory, token = await directories.create_directory(operator_principal(), org.id, "Bench")
    await close_db()
    return directory.id, token


def _start_server(database_url: str) -> tuple[subprocess.Popen[bytes], str, socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GATEHOUSE_ENV": "development",
        # The bench measures provisioning throughput, not the per-directory rate limit.
        "GATEHOUSE_RATE_LIMIT_ENABLED": "false",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "gatehouse.server.app:create_app",
            "--fd",
            str(sock.fileno()),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        pass_fds=[sock.fileno()],
    )
    return proc, f"http://127.0.0.1:{port}", sock


async def _wait_ready(http: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def _run(label: str, database_url: str) -> None:
    directory_id, token = await _setup(database_url)
    proc, url, sock = _start_server(database_url)
    base = f"/scim/v2/{directory_id}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    limits = httpx.Limits(max_connections=CONCURRENCY)
    try:
        async with httpx.AsyncClient(
            base_url=url, headers=headers, timeout=60, limits=limits
        ) as http:
            await _wait_ready(http)
            sem = asyncio.Semaphore(CONCURRENCY)
            user_ids: list[str] = []
            rss: dict[str, int] = {}

            async def create_user(i: int) -> None:
                body = {
                    "schemas": [USER_SCHEMA],
                    "userName": f"user{i}@bench.example.com",
                    "name": {"givenName": "U", "familyName": str(i)},
                    "emails": [{"value": f"user{i}@bench.example.com", "primary": True}],
                    "active": True,
                }
                async with sem:
                    response = await http.post(f"{base}/Users", json=body)
                if response.status_code != 201:
                    raise RuntimeError(response.text)
                user_ids.append(response.json()["id"])

            start = time.perf_counter()
            half = USERS // 2
            await asyncio.gather(*(create_user(i) for i in range(half)))
            rss["half"] = _proc_kib(proc.pid, "VmRSS")
            await asyncio.gather(*(create_user(i) for i in range(half, USERS)))
            rss["full"] = _proc_kib(proc.pid, "VmRSS")
            users_time = time.perf_counter() - start

            group_ops = 0

            async def fill_group(g: int) -> None:
                nonlocal group_ops
                async with sem:
                    response = await http.post(
                        f"{base}/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": f"g{g}"}
                    )
                group_id = response.json()["id"]
                group_ops += 1
                members = [
                    user_ids[(g * GROUP_SIZE + k) % len(user_ids)] for k in range(GROUP_SIZE)
                ]
                for k in range(0, GROUP_SIZE, PATCH_BATCH):
                    op = {
                        "op": "add",
                        "path": "members",
                        "value": [{"value": m} for m in members[k : k + PATCH_BATCH]],
                    }
                    async with sem:
                        response = await http.patch(
                            f"{base}/Groups/{group_id}",
                            json={"schemas": [PATCH_SCHEMA], "Operations": [op]},
                        )
                    if response.status_code != 204:
                        raise RuntimeError(response.text)
                    group_ops += 1

            start = time.perf_counter()
            await asyncio.gather(*(fill_group(g) for g in range(GROUPS)))
            groups_time = time.perf_counter() - start
            peak = _proc_kib(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        sock.close()
    print(
        f"{label:10s} users: {USERS} creates in {users_time:.1f}s = {USERS / users_time:.0f}/s | "
        f"groups: {GROUPS}x{GROUP_SIZE} via {group_ops} POST/PATCH in {groups_time:.1f}s = "
        f"{group_ops / groups_time:.0f} ops/s "
        f"({GROUPS * GROUP_SIZE / groups_time:.0f} members/s) | "
        f"total {users_time + groups_time:.1f}s | server RSS {rss['half'] // 1024} MiB at "
        f"{USERS // 2} users, {rss['full'] // 1024} MiB at {USERS}; peak {peak // 1024} MiB"
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
