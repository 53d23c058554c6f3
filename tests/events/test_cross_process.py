"""Two server processes sharing PostgreSQL and Redis: a subscriber on A sees a mutation on B.

Redis here is a private `redis-server` on a Unix socket started by the test, so it can be
killed and restarted without touching anyone else's Redis.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import Tortoise

from gatehouse.server.app import create_app
from tests.events.conftest import (
    CREATE_ORG,
    event_settings,
    eventually,
    start_server,
    stop_server,
)
from tests.events.test_subscription import collect
from tests.events.test_subscription_auth import current_cursor

REDIS = shutil.which("redis-server")


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.socket = directory / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        assert REDIS is not None
        self.proc = subprocess.Popen(
            [
                REDIS,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )

    async def ready(self) -> None:
        import redis.asyncio as redis

        async def pong() -> bool:
            try:
                async with redis.from_url(self.url) as client:
                    return bool(await client.ping())
            except (redis.RedisError, OSError):
                return False

        await eventually(pong)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if Tortoise.get_connection("default").capabilities.dialect != "postgres":
        pytest.skip(
            "cross-process test needs PostgreSQL (set TEST_DATABASE_URL); SQLite is one process"
        )
    if REDIS is None:
        pytest.skip("redis-server is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        r = PrivateRedis(Path(tmp))
        r.start()
        try:
            yield r
        finally:
            r.kill()


@pytest.fixture
async def process_b(db: str, private_redis: PrivateRedis) -> AsyncIterator[str]:
    """A second Gatehouse process (real uvicorn, its own interpreter) on an ephemeral port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env = dict(
        os.environ,
        DATABASE_URL=db,
        REDIS_URL=private_redis.url,
        GATEHOUSE_RUN_WORKER="false",
        GATEHOUSE_EVENT_POLL_SECONDS="30",
    )
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
        ],
        env=env,
        pass_fds=[sock.fileno()],
    )
    sock.close()
    url = f"http://127.0.0.1:{port}"

    async def up() -> bool:
        try:
            async with httpx.AsyncClient() as c:
                return (await c.get(f"{url}/healthz")).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        await eventually(up, timeout=30)
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


async def mutate_on(url: str, token: str, name: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        r = await c.post(
            "/graphql",
            json={"query": CREATE_ORG, "variables": {"i": {"name": name}}},
            headers={"authorization": f"Bearer {token}"},
        )
    return r.json()["data"]["createOrganization"]["organization"]["id"]


async def test_subscriber_on_a_sees_a_mutation_on_b_and_survives_a_redis_restart(
    db, private_redis, process_b, operator_token
):
    await private_redis.ready()
    # given process A, whose own poll is too slow to matter: only Redis can wake it in time
    settings = event_settings(
        db, REDIS_URL=private_redis.url, GATEHOUSE_EVENT_POLL_SECONDS=30, GATEHOUSE_RUN_WORKER=False
    )
    server_a = await start_server(create_app(settings, manage_db=False), settings)
    received: list[dict[str, Any]] = []
    task = asyncio.create_task(
        collect(server_a.ws_client(operator_token), {"after": await current_cursor()}, received)
    )
    try:
        # when a mutation is served by process B
        first = await mutate_on(process_b, operator_token, "From B")

        async def got(org_id: str) -> bool:
            return any(e["organizationId"] == org_id for e in received)

        # then the subscriber on A gets it
        await eventually(lambda: got(first))

        # when Redis dies, a mutation happens on B, and Redis comes back
        private_redis.kill()
        second = await mutate_on(process_b, operator_token, "While Redis was down")
        private_redis.start()
        await private_redis.ready()
        third = await mutate_on(process_b, operator_token, "After Redis returned")

        # then nothing was lost, nothing doubled, and order held
        await eventually(lambda: got(third), timeout=25)
        orgs = [e["organizationId"] for e in received if e["type"] == "organization.created"]
        assert orgs == [first, second, third]
        assert len({e["id"] for e in received}) == len(received)
    finally:
        task.cancel()
        await stop_server(server_a)
