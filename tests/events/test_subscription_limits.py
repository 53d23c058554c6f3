"""SECURITY 27a and 45 on websockets: a flood of `subscribe` messages on one socket is capped,
and each operation started over a socket takes a token from the credential's rate limit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import websockets
from prometheus_client import REGISTRY

from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers import api_keys
from gatehouse.server.app import create_app
from tests.events.conftest import (
    LiveServer,
    event_settings,
    eventually,
    start_server,
    stop_server,
)

QUERY = "subscription { events { id } }"


@asynccontextmanager
async def socket(server: LiveServer, token: str) -> AsyncIterator[Any]:
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        yield ws


async def subscribe(ws: Any, ids: range) -> None:
    for i in ids:
        await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": {"query": QUERY}}))


async def errors_until_pong(ws: Any) -> dict[str, Any]:
    """Error messages by operation id, read until the answer to a ping (the server handles a
    socket's messages in order, so by then every earlier subscribe has been answered)."""
    await ws.send(json.dumps({"type": "ping"}))
    errors: dict[str, Any] = {}
    while (message := json.loads(await ws.recv()))["type"] != "pong":
        if message["type"] == "error":
            errors[message["id"]] = message["payload"][0]
    return errors


async def test_a_flood_of_subscribes_on_one_socket_is_capped(db, operator_token):
    settings = event_settings(
        db, GATEHOUSE_SUBSCRIPTIONS_PER_CONNECTION=5, GATEHOUSE_RATE_LIMIT_ENABLED=False
    )
    server = await start_server(create_app(settings, manage_db=False), settings)
    try:
        async with socket(server, operator_token) as ws:
            # when a client opens 50 subscriptions on one socket
            await subscribe(ws, range(50))
            errors = await errors_until_pong(ws)

            # then the first 5 run and every other one is refused
            assert sorted(errors, key=int) == [str(i) for i in range(5, 50)]
            assert {e["message"] for e in errors.values()} == {"Subscription limit reached"}

            # and completing one makes room for exactly one more
            await ws.send(json.dumps({"id": "0", "type": "complete"}))
            await subscribe(ws, range(100, 102))
            assert list(await errors_until_pong(ws)) == ["101"]
    finally:
        await stop_server(server)


async def test_subscribes_take_from_the_credentials_rate_limit_and_spare_other_tenants(
    db, operator_token, make_org
):
    settings = event_settings(
        db, GATEHOUSE_RATE_LIMIT_PER_SECOND=0.001, GATEHOUSE_RATE_LIMIT_BURST=3
    )
    server = await start_server(create_app(settings, manage_db=False), settings)
    org = await make_org("Quiet")
    _, quiet_key = await api_keys.create_api_key(operator_principal(), "quiet", org.id)
    try:
        # when one credential starts 8 operations over a socket (on two sockets, even)
        async with (
            socket(server, operator_token) as first,
            socket(server, operator_token) as second,
        ):
            await subscribe(first, range(4))
            await subscribe(second, range(4, 8))
            refused = await errors_until_pong(first) | await errors_until_pong(second)

        # then only its burst of 3 started; the others got RATE_LIMITED with a delay
        assert sorted(refused, key=int) == [str(i) for i in range(3, 8)]
        for error in refused.values():
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert int(error["extensions"]["retryAfter"]) >= 1

        # and another tenant's key still subscribes at once
        async with socket(server, quiet_key) as ws:
            await subscribe(ws, range(1))
            assert await errors_until_pong(ws) == {}
    finally:
        await stop_server(server)


async def test_the_legacy_protocol_takes_from_the_same_rate_limit(db, operator_token):
    settings = event_settings(
        db, GATEHOUSE_RATE_LIMIT_PER_SECOND=0.001, GATEHOUSE_RATE_LIMIT_BURST=2
    )
    server = await start_server(create_app(settings, manage_db=False), settings)
    try:
        async with websockets.connect(server.ws_url, subprotocols=["graphql-ws"]) as ws:
            init = {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {operator_token}"},
            }
            await ws.send(json.dumps(init))
            for i in range(3):
                start = {"id": str(i), "type": "start", "payload": {"query": QUERY}}
                await ws.send(json.dumps(start))
            async with asyncio.timeout(10):
                while (message := json.loads(await ws.recv()))["type"] != "error":
                    pass
        assert message["id"] == "2"
        assert message["payload"]["extensions"]["code"] == "RATE_LIMITED"
    finally:
        await stop_server(server)


async def test_open_subscriptions_are_counted_while_they_run(live, operator_token):
    def active() -> float:
        return REGISTRY.get_sample_value("gatehouse_active_subscriptions") or 0.0

    before = active()
    async with socket(live, operator_token) as ws:
        await subscribe(ws, range(3))
        await eventually(lambda: _equals(active, before + 3))
        await ws.send(json.dumps({"id": "0", "type": "complete"}))
        await eventually(lambda: _equals(active, before + 2))
    # closing the socket ends the other two
    await eventually(lambda: _equals(active, before))


async def _equals(read: Callable[[], float], value: float) -> bool:
    return read() == value
