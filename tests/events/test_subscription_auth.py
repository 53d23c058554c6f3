from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from gql.transport.exceptions import TransportQueryError

from gatehouse.auth.principal import operator_principal
from gatehouse.events.sequencer import head_position, sequence_pending
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.events.reading import encode_event_cursor
from gatehouse.server.app import create_app
from tests.events.conftest import event_settings, eventually, start_server, stop_server
from tests.events.test_subscription import collect

SUB = {"id": "1", "type": "subscribe", "payload": {"query": "subscription { events { id } }"}}


async def test_subscribe_before_connection_init_is_closed_4401(live):
    async with websockets.connect(live.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps(SUB))
        with pytest.raises(websockets.ConnectionClosed) as e:
            await ws.recv()
    assert e.value.rcvd.code == 4401


async def test_a_second_connection_init_is_closed_4429(live, operator_token):
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {operator_token}"}}
    async with websockets.connect(live.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps(init))
        with pytest.raises(websockets.ConnectionClosed) as e:
            await ws.recv()
    assert e.value.rcvd.code == 4429


@pytest.mark.parametrize("payload", [{}, {"authorization": "Bearer sk_nope"}, {"authorization": 1}])
async def test_connection_init_without_a_valid_credential_is_refused(live, payload):
    async with websockets.connect(live.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as e:
            await ws.recv()
    assert e.value.rcvd.code == 4403


async def test_an_organization_subscription_never_receives_another_organizations_events(
    live, create_org
):
    # given two organizations and a key scoped to A
    org_a, org_b = await create_org("A"), await create_org("B")
    _, key_a = await api_keys.create_api_key(operator_principal(), "a", org_a)
    received: list[dict[str, Any]] = []
    after = await current_cursor()
    task = asyncio.create_task(collect(live.ws_client(key_a), {"after": after}, received))
    try:
        # when events happen in both (A's marker last)
        for i in range(3):
            await create_org(f"Other {i}")
        await api_keys.create_api_key(operator_principal(), "b-key", org_b)
        await api_keys.create_api_key(operator_principal(), "a-marker", org_a)

        async def got_marker() -> bool:
            return any(e["type"] == "api_key.created" for e in received)

        await eventually(got_marker)
    finally:
        task.cancel()
    # then only A's arrived
    assert {e["organizationId"] for e in received} == {org_a}


async def test_asking_for_another_organization_is_not_found(live, create_org):
    org_a, org_b = await create_org("A"), await create_org("B")
    _, key_a = await api_keys.create_api_key(operator_principal(), "a", org_a)
    with pytest.raises(TransportQueryError) as e:
        await collect(live.ws_client(key_a), {"org": org_b}, [])
    assert e.value.errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_revoked_key_loses_its_subscription(db, create_org, operator_token):
    settings = event_settings(db, GATEHOUSE_SUBSCRIPTION_RECHECK_SECONDS=0.2)
    server = await start_server(create_app(settings, manage_db=False), settings)
    try:
        after = await current_cursor()
        key, secret = await api_keys.create_api_key(operator_principal(), "soon revoked")
        received: list[dict[str, Any]] = []
        task = asyncio.create_task(collect(server.ws_client(secret), {"after": after}, received))
        await eventually(lambda: _nonempty(received))  # the subscription is live
        await api_keys.revoke_api_key(operator_principal(), key.id)
        with pytest.raises(TransportQueryError) as e:
            await asyncio.wait_for(task, 15)
        assert e.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await stop_server(server)


async def test_websocket_from_a_foreign_origin_is_refused(db):
    settings = event_settings(db, GATEHOUSE_ALLOWED_ORIGINS=["https://admin.example.com"])
    server = await start_server(create_app(settings, manage_db=False), settings)
    try:
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(
                server.ws_url, subprotocols=["graphql-transport-ws"], origin="https://evil.example"
            ):
                pass
        async with websockets.connect(
            server.ws_url, subprotocols=["graphql-transport-ws"], origin="https://admin.example.com"
        ):
            pass
    finally:
        await stop_server(server)


async def test_the_legacy_graphql_ws_protocol_also_streams(live, operator_token, create_org):
    received: list[dict[str, Any]] = []
    client = live.ws_client(operator_token, subprotocol="graphql-ws")
    task = asyncio.create_task(collect(client, {"after": await current_cursor()}, received))
    try:
        await create_org("Legacy")

        async def got() -> bool:
            return any(e["type"] == "organization.created" for e in received)

        await eventually(got)
    finally:
        task.cancel()


async def current_cursor() -> str:
    """A cursor at the head: subscribing `after` it sees every later event, however late the
    subscription starts (no sleep needed)."""
    await sequence_pending()
    return encode_event_cursor(await head_position())


async def _nonempty(items: list[Any]) -> bool:
    return bool(items)
