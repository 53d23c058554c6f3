"""Fixtures for events: a real uvicorn server on 127.0.0.1:0, websocket clients, receivers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from gql import Client
from gql.transport.websockets import WebsocketsTransport
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gatehouse.auth.principal import operator_principal
from gatehouse.models import WebhookEndpoint
from gatehouse.resolvers.events import webhooks
from gatehouse.server.app import create_app
from gatehouse.settings import Settings

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Poll a condition with a deadline (never a fixed sleep for correctness)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.02)


@dataclass
class LiveServer:
    server: uvicorn.Server
    task: asyncio.Task[None]
    settings: Settings

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str = ""
    ) -> Any:
        async with httpx.AsyncClient(base_url=self.http_url, timeout=30) as c:
            r = await c.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"authorization": f"Bearer {token}"},
            )
        assert r.status_code == 200, r.text
        return r.json()

    def ws_client(self, token: str, subprotocol: str = GRAPHQL_TRANSPORT_WS) -> Client:
        transport = WebsocketsTransport(
            url=self.ws_url,
            init_payload={"authorization": f"Bearer {token}"},
            subprotocols=[subprotocol],
        )
        return Client(transport=transport)


async def start_server(app: Starlette, settings: Settings) -> LiveServer:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 15
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        await asyncio.sleep(0.01)
    return LiveServer(server, task, settings)


async def stop_server(live: LiveServer) -> None:
    live.server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(live.task, 15)


def event_settings(db: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": db,
        "GATEHOUSE_SECRET_KEY": os.environ["GATEHOUSE_SECRET_KEY"],
        "GATEHOUSE_EVENT_POLL_SECONDS": 0.2,
        "GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS": True,
        "GATEHOUSE_WEBHOOK_RETRY_BASE_SECONDS": 0.05,
        "GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS": 5,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def live(db: str) -> AsyncIterator[LiveServer]:
    settings = event_settings(db)
    server = await start_server(create_app(settings, manage_db=False), settings)
    yield server
    await stop_server(server)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it accepts; it can go down and
    come back on the same port."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    hits: int = 0
    live: LiveServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.hits += 1
        if self.status < 300:
            self.received.append((dict(request.headers), body))
        return Response(status_code=self.status, headers=self.headers)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self.handle, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        deadline = time.monotonic() + 15
        while not server.started:
            if task.done() or time.monotonic() > deadline:
                raise RuntimeError("receiver did not start")
            await asyncio.sleep(0.01)
        self.live = LiveServer(server, task, Settings())
        self.port = self.live.port

    async def stop(self) -> None:
        if self.live is not None:
            await stop_server(self.live)
            self.live = None


async def endpoint_to(
    url: str, event_types: list[str] | None = None, organization_id: str | None = None
) -> WebhookEndpoint:
    """A webhook endpoint made by the operator; private targets allowed (test receivers)."""
    endpoint, _ = await webhooks.create_webhook_endpoint(
        operator_principal(),
        url,
        event_types or [],
        organization_id,
        allow_private=True,
        secret_key=os.environ["GATEHOUSE_SECRET_KEY"],
    )
    return endpoint


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    await rec.start()
    yield rec
    await rec.stop()


CREATE_ORG = """mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
  organization { id } userErrors { code } } }"""


@pytest.fixture
def create_org(live: LiveServer, operator_token: str) -> Callable[[str], Awaitable[str]]:
    async def create(name: str) -> str:
        body = await live.gql(CREATE_ORG, {"i": {"name": name}}, operator_token)
        return body["data"]["createOrganization"]["organization"]["id"]

    return create
