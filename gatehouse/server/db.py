"""Database configuration, start-up and migrations (Tortoise's built-in migration engine)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as run_migrations

log = logging.getLogger(__name__)

MODELS_MODULE = "gatehouse.models"
MIGRATIONS_MODULE = "gatehouse.models.migrations"


def normalize_db_url(url: str) -> str:
    # Operators paste `postgresql://` from their provider; Tortoise names the scheme `postgres`.
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(normalize_db_url(database_url))},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(url: str) -> str | dict[str, Any]:
    """PostgreSQL with short connect and command timeouts, so an outage fails fast (503)
    instead of hanging requests; values given in the URL's query string win."""
    if not url.startswith("postgres://"):
        return url
    from gatehouse.settings import get_settings

    settings = get_settings()
    config = expand_db_url(url)
    credentials = config["credentials"]
    credentials.setdefault("timeout", settings.db_connect_timeout_seconds)
    credentials["command_timeout"] = float(
        credentials.get("command_timeout", settings.db_command_timeout_seconds)
    )
    credentials.setdefault("maxsize", settings.db_pool_max_size)
    credentials.setdefault("reset", keep_session)
    return config


async def keep_session(connection: asyncpg.Connection) -> None:
    """What the pool runs when a connection comes back, instead of asyncpg's default
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`: nothing.

    That default cost a round trip after every query outside a transaction (5 of the 12 a
    members page made). Gatehouse leaves no session state to undo: it takes only
    transaction-level advisory locks, never LISTENs, SETs or DECLAREs on pooled connections.
    asyncpg still rolls back a transaction left open before calling this, so no uncommitted
    work outlives its request.
    """


async def init_db(database_url: str) -> None:
    # The global fallback lets request tasks started by uvicorn see the connections that the
    # lifespan task opened (Tortoise 1.1 keeps its context per task otherwise).
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


# Any constant naming "applying migrations" among the deployment's advisory locks (the
# sequencer's is another); session-level, so it spans Tortoise's own transactions.
MIGRATION_LOCK_KEY = 0x6761_7465_6D69_6772  # "gatemigr"


@contextlib.asynccontextmanager
async def startup_lock(database_url: str) -> AsyncIterator[None]:
    """Hold the deployment-wide start-up lock: one process at a time migrates (and makes the
    first operator key), the others wait, then find nothing left to do.

    PostgreSQL: a session-level advisory lock on a connection of its own (released when the
    connection closes, so a crashed holder never wedges the rest). SQLite: an exclusive
    `flock` on a file beside the database; an in-memory database is private to its process.
    """
    url = normalize_db_url(database_url)
    if url.startswith("postgres://"):
        async with _advisory_lock(url):
            yield
        return
    path = _sqlite_path(url)
    if path is None:
        yield
        return
    fd = await asyncio.to_thread(_locked_file, path.with_name(path.name + ".lock"))
    try:
        yield
    finally:
        os.close(fd)  # releases the flock


def _locked_file(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


@contextlib.asynccontextmanager
async def _advisory_lock(url: str) -> AsyncIterator[None]:
    credentials = expand_db_url(url)["credentials"]
    connection = await asyncpg.connect(
        host=credentials.get("host"),
        port=credentials.get("port"),
        user=credentials.get("user"),
        password=credentials.get("password"),
        database=credentials.get("database"),
    )
    try:
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY):
            log.info("another process is migrating the database; waiting for it")
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield
    finally:
        await connection.close()  # ends the session, and so the lock


def _sqlite_path(url: str) -> Path | None:
    file = expand_db_url(url)["credentials"].get("file_path", "")
    return None if file in ("", ":memory:") else Path(file)


async def apply_migrations(database_url: str) -> None:
    """Apply every pending migration; a no-op on an up-to-date database. Callers hold
    `startup_lock` (or are alone, as a test's private database is)."""
    await run_migrations(config=tortoise_config(database_url))


async def migrate(database_url: str) -> None:
    """Apply every pending migration under the start-up lock."""
    async with startup_lock(database_url):
        await apply_migrations(database_url)


async def close_db() -> None:
    await Tortoise.close_connections()
