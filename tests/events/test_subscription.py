from __future__ import annotations

import asyncio
from typing import Any

from gql import GraphQLRequest

from tests.events.conftest import eventually

SUBSCRIBE = """subscription($org: ID, $after: String, $types: [String!]) {
      events(organizationId: $org, after: $after, types: $types) {
        id type organizationId cursor sequence } }"""
EVENTS = """query($after: String, $org: ID) {
  events(first: 100, after: $after, organizationId: $org) {
    edges { cursor node { id type organizationId } }
    pageInfo { hasNextPage endCursor } } }"""


async def all_events(live, token, after=None, org=None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        body = await live.gql(EVENTS, {"after": after, "org": org}, token)
        page = body["data"]["events"]
        out += [e["node"] | {"cursor": e["cursor"]} for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


async def collect(client, variables, into: list[dict[str, Any]]) -> None:
    async with client as session:
        request = GraphQLRequest(SUBSCRIBE, variable_values=variables)
        async for result in session.subscribe(request):
            into.append(result["events"])  # noqa: PERF401 - the test reads it while it grows


async def test_replay_then_live_with_concurrent_writers_misses_and_repeats_nothing(
    live, operator_token, create_org
):
    # given a backlog of events and an old cursor inside it
    for i in range(6):
        await create_org(f"Backlog {i}")
    await eventually(lambda: _count_at_least(live, operator_token, 6))
    backlog = await all_events(live, operator_token)
    old_cursor = backlog[1]["cursor"]

    # when a subscription resumes from that cursor while mutations run concurrently
    received: list[dict[str, Any]] = []
    task = asyncio.create_task(
        collect(live.ws_client(operator_token), {"after": old_cursor}, received)
    )
    try:

        async def writer(n: int) -> None:
            for i in range(5):
                await create_org(f"Live {n}-{i}")

        await asyncio.gather(*(writer(n) for n in range(4)))
        # (events are sequenced just after each response, so poll until the last is in)
        total = len(backlog) + 20
        await eventually(lambda: _count_at_least(live, operator_token, total))
        expected = await all_events(live, operator_token, after=old_cursor)
        assert len(expected) == total - 2

        async def caught_up() -> bool:
            return len(received) >= len(expected)

        await eventually(caught_up)
        # a little more traffic after the switch-over must also arrive exactly once
        await create_org("After")
        await eventually(lambda: _count_at_least(live, operator_token, total + 1))
        expected = await all_events(live, operator_token, after=old_cursor)
        await eventually(caught_up)
    finally:
        task.cancel()

    # then: backlog then live, in commit order, none missing, none doubled
    assert [e["id"] for e in received] == [e["id"] for e in expected]
    assert [e["cursor"] for e in received] == [e["cursor"] for e in expected]


async def _count_at_least(live, token, n: int) -> bool:
    return len(await all_events(live, token)) >= n
