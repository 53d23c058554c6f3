"""Liveness, readiness, and failing fast while the database is unreachable (SECURITY 42).

`/healthz` says the process is alive. `/readyz` says this process can serve: the database
answers, Redis answers (when configured and required), and no migration is pending. A load
balancer takes an unready process out of rotation and puts it back once it answers again; no
restart is needed, because asyncpg's pool reconnects on its own when PostgreSQL returns.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pkgutil
from importlib import import_module

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise import Tortoise

from gatehouse.ops import metrics
from gatehouse.ops.availability import RETRY_AFTER_SECONDS, is_database_unavailable
from gatehouse.server.db import MIGRATIONS_MODULE
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.health")

GRAPHQL_PATH = "/graphql"


def expected_migrations() -> set[str]:
    module = import_module(MIGRATIONS_MODULE)
    return {
        name
        for _, name, is_pkg in pkgutil.iter_modules(module.__path__)
        if not is_pkg and name[0] not in "_~"
    }


async def check_database(limit_seconds: float) -> str:
    """'ok', 'unreachable' or 'migrations_pending'."""
    try:
        conn = Tortoise.get_connection("default")
        _, rows = await asyncio.wait_for(
            conn.execute_query('SELECT "name" FROM "tortoise_migrations"'), limit_seconds
        )
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the reason is logged
        log.warning("readiness: database check failed: %s", type(exc).__name__)
        return "unreachable"
    applied = {row["name"] for row in rows}
    return "ok" if expected_migrations() <= applied else "migrations_pending"


async def check_redis(url: str, limit_seconds: float) -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=limit_seconds, socket_timeout=limit_seconds)
    try:
        await asyncio.wait_for(client.ping(), limit_seconds)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: redis check failed: %s", type(exc).__name__)
        return "unreachable"
    finally:
        await client.aclose()
    return "ok"


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    timeout = settings.readiness_timeout_seconds
    checks = {"database": await check_database(timeout)}
    if settings.redis_url:
        checks["redis"] = await check_redis(settings.redis_url, timeout)
    required = {k: v for k, v in checks.items() if k != "redis" or settings.readyz_requires_redis}
    ready = all(v == "ok" for v in required.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
        headers={} if ready else {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def unavailable_body(graphql: bool) -> bytes:
    message = "The database is unreachable; retry shortly."
    if graphql:
        body: dict[str, object] = {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": "UNAVAILABLE"}}],
        }
    else:
        body = {"error": "unavailable", "message": message}
    return json.dumps(body).encode()


class DatabaseUnavailableMiddleware:
    """Turns a database-unreachable failure anywhere in a request into a clear 503 JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started or not is_database_unavailable(exc):
                raise
            log.warning("database unavailable: %s", type(exc).__name__)
            metrics.ERRORS.labels("database_unavailable").inc()
            await send_unavailable(send, graphql=scope.get("path") == GRAPHQL_PATH)


async def send_unavailable(send: Send, *, graphql: bool) -> None:
    body = unavailable_body(graphql)
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
