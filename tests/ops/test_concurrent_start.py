"""Acceptance: processes started together on an empty database take turns at the start-up lock
(an advisory lock on PostgreSQL, a file lock on SQLite): all of them come up, the migrations are
applied once, and exactly one operator key is minted on the first start."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.ops.procs import Server, private_postgres, private_postgres_unavailable

ENV = {
    "GATEHOUSE_SECRET_KEY": os.environ["GATEHOUSE_SECRET_KEY"],
    "GATEHOUSE_ENV": "production",
    "GATEHOUSE_RUN_WORKER": "false",
}
PROCESSES = 5


@contextlib.contextmanager
def empty_postgres() -> Iterator[str]:
    """A PostgreSQL server with nothing in it: a private cluster where one can run here,
    else a new database on TEST_DATABASE_URL's server."""
    if private_postgres_unavailable() is None:
        with private_postgres() as pg:
            yield pg.url
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("needs PostgreSQL: a private cluster (root, initdb) or TEST_DATABASE_URL")
    name = f"gatehouse_start_{secrets.token_hex(4)}"
    server = base.rsplit("/", 1)[0]
    asyncio.run(_admin(f"{server}/postgres", f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        asyncio.run(_admin(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(dsn: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(sql)
    finally:
        await connection.close()


def _start_together(database_url: str, cwd: Path) -> list[Server]:
    servers = [Server(database_url, cwd, env=ENV) for _ in range(PROCESSES)]
    try:
        for server in servers:
            server.wait_ready("/readyz", deadline_s=120)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def _check(servers: list[Server]) -> None:
    try:
        for server in servers:
            assert server.proc.poll() is None, server.logs()
        # The first start's operator key is minted once, by whichever process migrated.
        minted = [s for s in servers if "First start: created an operator API key" in s.output()]
        assert len(minted) == 1, [s.output() for s in servers]
    finally:
        for server in servers:
            server.stop()
    logs = "\n".join(server.logs() for server in servers)
    assert "already exists" not in logs
    assert "Traceback" not in logs


def test_five_servers_start_together_on_an_empty_postgresql(tmp_path):
    with empty_postgres() as url:
        servers = _start_together(url, tmp_path)
        _check(servers)
        # Every migration is recorded once: none was applied twice.
        rows = asyncio.run(
            _admin(url, "SELECT name, count(*) AS n FROM tortoise_migrations GROUP BY name")
        )
        assert rows
        assert all(row["n"] == 1 for row in rows)
        keys = asyncio.run(_admin(url, "SELECT count(*) AS n FROM api_keys"))
        assert keys[0]["n"] == 1


def test_five_servers_start_together_on_an_empty_sqlite_file(tmp_path):
    servers = _start_together(f"sqlite://{tmp_path / 'fresh.db'}", tmp_path)
    _check(servers)
