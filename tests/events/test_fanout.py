"""Fan-out by shape (schema/fanout.py), over real websockets on a real server."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import websockets
from gql import GraphQLRequest
from graphql import parse, print_ast

from gatehouse.auth.principal import operator_principal
from gatehouse.events import record_event
from gatehouse.events.sequencer import sequence_pending
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.events.reading import decode_event_cursor
from gatehouse.schema import fanout
from tests.events.conftest import eventually

SUBSCRIBE = """subscription($types: [String!]) {
  events(types: $types) { id organizationId cursor data } }"""


async def collect(client: Any, types: list[str], into: list[dict[str, Any]]) -> None:
    async with client as session:
        request = GraphQLRequest(SUBSCRIBE, variable_values={"types": types})
        async for result in session.subscribe(request):
            into.append(result["events"])  # noqa: PERF401 - the test reads it while it grows


async def publish(hub: Any, type_: str, organization_id: str | None, data: dict[str, Any]) -> None:
    await record_event(type_, organization_id, data)
    await sequence_pending()
    hub.wake()


def members(groups: fanout.Groups) -> list[int]:
    return sorted(len(g.members) for g in groups.groups.values())


async def test_same_shape_shares_one_execution_and_visibility_never_mixes(
    live, operator_token, make_org
):
    # given operators (one on the legacy protocol), two full keys of A, a key of A that may
    # only read events, and a key of B, all subscribed with the same document
    org_a, org_b = await make_org("A"), await make_org("B")
    op = operator_principal()
    _, op2 = await api_keys.create_api_key(op, "second operator")
    _, a1 = await api_keys.create_api_key(op, "a1", org_a.id)
    _, a2 = await api_keys.create_api_key(op, "a2", org_a.id)
    _, a_events = await api_keys.create_api_key(op, "a events", org_a.id, ["events:read"])
    _, b1 = await api_keys.create_api_key(op, "b1", org_b.id)
    clients = {
        "op1": live.ws_client(operator_token),
        "op2": live.ws_client(op2),
        "op_legacy": live.ws_client(operator_token, "graphql-ws"),
        "a1": live.ws_client(a1),
        "a2": live.ws_client(a2),
        "a_events": live.ws_client(a_events),
        "b1": live.ws_client(b1),
    }
    got: dict[str, list[dict[str, Any]]] = {name: [] for name in clients}
    tasks = [asyncio.create_task(collect(c, ["test.fanout"], got[n])) for n, c in clients.items()]
    hub = live.server.config.app.state.events.hub
    groups = fanout.groups_for(hub)
    try:
        await eventually(lambda: _is(members(groups), [1, 1, 2, 3]))

        # when events of A, of B and of no organization commit
        published = [(org_a.id, 0), (org_b.id, 1), (org_a.id, 2), (None, 3)]
        for org_id, i in published:
            await publish(hub, "test.fanout", org_id, {"i": i})
        want = {"op1": 4, "op2": 4, "op_legacy": 4, "a1": 2, "a2": 2, "a_events": 2, "b1": 1}
        await eventually(lambda: _is({n: len(v) for n, v in got.items()}, want))
        await publish(hub, "test.fanout", None, {"i": 4})  # a last one, for the operators
        await eventually(lambda: _is(len(got["op1"]), 5))
        await eventually(lambda: _is(len(got["op_legacy"]), 5))
        executions = sorted(g.executions for g in groups.groups.values())
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # then each saw exactly what its own scope shows
    def seen(name: str) -> list[int]:
        return [e["data"]["i"] for e in got[name]]

    assert seen("op1") == seen("op2") == seen("op_legacy") == [0, 1, 2, 3, 4]
    assert seen("a1") == seen("a2") == seen("a_events") == [0, 2]
    assert seen("b1") == [1]
    assert {e["organizationId"] for n in ("a1", "a2", "a_events") for e in got[n]} == {org_a.id}
    # and same-shape subscribers shared one execution per event: 5 for the operators' group
    # (three sockets, two protocols), 2 for each of A's two permission sets, 1 for B
    assert executions == [1, 2, 2, 5]
    assert got["op1"] == got["op2"] == got["op_legacy"]


async def test_a_slow_member_ends_with_its_resume_cursor_and_the_group_goes_on(
    live, operator_token
):
    # given a group of two: one subscriber that reads, one that stops reading
    hub = live.server.config.app.state.events.hub
    groups = fanout.groups_for(hub)
    fast: list[dict[str, Any]] = []
    task = asyncio.create_task(collect(live.ws_client(operator_token), ["test.slow"], fast))
    slow = await _stalled_subscriber(live, operator_token)
    try:
        await eventually(lambda: _is(members(groups), [2]))
        (group,) = groups.groups.values()

        # when large events pass until the stalled socket's buffer is full
        published = 0
        while len(group.members) == 2 and published < 600:
            for _ in range(10):
                await record_event("test.slow", None, {"i": published, "blob": "x" * 65536})
                published += 1
            await sequence_pending()
            hub.wake()
            await eventually(lambda n=published: _at_least(fast, n))

        # then the group dropped it and goes on with the other
        assert len(group.members) == 1
        await publish(hub, "test.slow", None, {"i": published, "blob": ""})
        await eventually(lambda: _is(len(fast), published + 1))
        assert [e["data"]["i"] for e in fast] == list(range(published + 1))

        # and the stalled one, reading again, gets what was written, then its resume cursor:
        # right after the last event it received, none skipped
        frames = [json.loads(raw) async for raw in _until_error(slow)]
        events, error = [f["payload"]["data"]["events"] for f in frames[:-1]], frames[-1]
        assert 0 < len(events) < published
        assert [e["data"]["i"] for e in events] == list(range(len(events)))
        (err,) = error["payload"]["errors"]
        assert err["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        resume = await decode_event_cursor(err["extensions"]["resumeCursor"])
        assert resume == await decode_event_cursor(events[-1]["cursor"])
    finally:
        await slow.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _stalled_subscriber(live: Any, token: str) -> Any:
    """A graphql-transport-ws client that reads nothing after subscribing: a small kernel
    receive buffer and a queue of one, so the server's buffer for it fills."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)  # noqa: FBT003 - the socket API
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", live.port))
    ws = await websockets.connect(
        live.ws_url,
        sock=sock,
        subprotocols=["graphql-transport-ws"],
        max_queue=1,
        compression=None,
    )
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    await ws.recv()
    # The text gql sends for SUBSCRIBE: the same shape as the other subscriber's.
    query = {"query": print_ast(parse(SUBSCRIBE)), "variables": {"types": ["test.slow"]}}
    await ws.send(json.dumps({"id": "slow", "type": "subscribe", "payload": query}))
    return ws


async def _until_error(ws: Any) -> Any:
    async for raw in ws:
        yield raw
        if '"errors"' in raw[:200] or '"type":"error"' in raw:
            return


async def _is(value: Any, expected: Any) -> bool:
    return value == expected


async def _at_least(items: list[Any], n: int) -> bool:
    return len(items) >= n
