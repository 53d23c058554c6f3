"""Acceptance: two `gatehouse serve` processes and a `gatehouse worker` on one PostgreSQL (and
Redis) serve the same data, and terminating one server and the worker mid-load loses no
committed write and no event: every mutation that got a success answer is in the database with
its event, the webhook receiver gets that event (from a replacement worker if need be), and a
live subscriber on the stopped server is handed a resume cursor and, reconnected to the other
server, sees every event once."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from gatehouse.models import Event, Member
from tests.events.conftest import Receiver, endpoint_to, eventually
from tests.ops.procs import Server, Worker

CREATE_MEMBER = """mutation AddMember($org: ID!, $email: String!) { createMember(input:
  {organizationId: $org, email: $email}) { member { id } userErrors { code } } }"""
MEMBERS = """query Members($org: ID!) { organization(id: $org) { members(first: 100) {
  totalCount edges { node { id user { email } } } } } }"""
SUBSCRIBE = """subscription($org: ID, $after: String) { events(organizationId: $org,
  after: $after, types: ["organization_membership.created"]) { cursor data } }"""
CREATED = "organization_membership.created"
ENV = {
    "GATEHOUSE_RATE_LIMIT_ENABLED": "false",
    "GATEHOUSE_SECRET_KEY": os.environ["GATEHOUSE_SECRET_KEY"],
    "GATEHOUSE_EVENT_POLL_SECONDS": "0.2",
    "GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS": "true",
    **({"REDIS_URL": os.environ["TEST_REDIS_URL"]} if os.environ.get("TEST_REDIS_URL") else {}),
}
SERVE_ENV = {**ENV, "GATEHOUSE_RUN_WORKER": "false"}  # delivery is the worker's job

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="two processes sharing one database need PostgreSQL (TEST_DATABASE_URL); "
    "SQLite is single-host, single-writer",
)


async def _gql(
    http: httpx.AsyncClient, url: str, token: str, query: str, variables: dict
) -> httpx.Response:
    return await http.post(
        url + "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )


class Subscriber:
    """A live admin view: follows the organization's membership events on one server and,
    when that server shuts down, resumes on the next one from the cursor it was handed."""

    def __init__(self, token: str, org: str) -> None:
        self.token, self.org = token, org
        self.events: list[dict[str, Any]] = []
        self.shutdown_codes: list[str] = []
        self.live = asyncio.Event()

    async def follow(self, servers: list[Server]) -> None:
        after = None
        for server in servers:
            transport = WebsocketsTransport(
                url=server.ws_url,
                init_payload={"authorization": f"Bearer {self.token}"},
                subprotocols=["graphql-transport-ws"],
            )
            try:
                async with Client(transport=transport) as session:
                    request = GraphQLRequest(
                        SUBSCRIBE, variable_values={"org": self.org, "after": after}
                    )
                    self.live.set()
                    async for result in session.subscribe(request):
                        self.events.append(result["events"])
            except TransportQueryError as e:
                extensions = e.errors[0]["extensions"] if e.errors else {}
                self.shutdown_codes.append(extensions.get("code"))
                after = extensions["resumeCursor"]

    @property
    def member_ids(self) -> list[str]:
        return [e["data"]["id"] for e in self.events]


async def test_two_servers_and_a_worker_lose_no_committed_write_and_no_event(  # noqa: C901, PLR0915 - one scenario, read top to bottom
    db, operator_token, make_org, tmp_path
):
    org = await make_org("Scale")
    receiver = Receiver()
    await receiver.start()
    await endpoint_to(receiver.url, [CREATED], org.id)
    a = Server(db, tmp_path, "--log-level", "info", env=SERVE_ENV)
    b = Server(db, tmp_path, "--log-level", "warning", env=SERVE_ENV)
    worker = Worker(db, tmp_path, "worker-1", env=ENV)
    replacement: Worker | None = None
    subscriber = Subscriber(operator_token, org.id)
    following: asyncio.Task[None] | None = None
    try:
        a.wait_ready("/readyz")
        b.wait_ready("/readyz")
        worker.wait_running()
        following = asyncio.create_task(subscriber.follow([a, b]))
        await asyncio.wait_for(subscriber.live.wait(), 30)
        async with httpx.AsyncClient(timeout=30) as http:
            # Given a write through A, then B reads it (and the other way round)
            for server, email in ((a, "via-a@example.com"), (b, "via-b@example.com")):
                r = await _gql(
                    http, server.url, operator_token, CREATE_MEMBER, {"org": org.id, "email": email}
                )
                assert r.json()["data"]["createMember"]["userErrors"] == []
            for server in (a, b):
                page = (
                    await _gql(http, server.url, operator_token, MEMBERS, {"org": org.id})
                ).json()
                emails = {
                    e["node"]["user"]["email"]
                    for e in page["data"]["organization"]["members"]["edges"]
                }
                assert emails == {"via-a@example.com", "via-b@example.com"}

            # When writers load both servers, and A and the worker are terminated mid-load
            # (a replacement worker takes over, as an orchestrator would start one)
            succeeded: list[str] = []
            failed = 0
            a_hits = 0

            async def writer(n: int) -> None:
                nonlocal failed, a_hits
                for i in range(15):
                    server = a if (n + i) % 2 == 0 else b
                    try:
                        r = await _gql(
                            http,
                            server.url,
                            operator_token,
                            CREATE_MEMBER,
                            {"org": org.id, "email": f"w{n}-{i}@example.com"},
                        )
                    except httpx.TransportError:
                        failed += 1
                        continue
                    payload = (
                        (r.json().get("data") or {}).get("createMember")
                        if r.status_code == 200
                        else None
                    )
                    if payload and payload["member"]:
                        succeeded.append(payload["member"]["id"])
                        a_hits += server is a
                    else:
                        failed += 1

            async def terminate_mid_load() -> None:
                nonlocal replacement
                while a_hits < 10:  # A has committed writes before it goes
                    await asyncio.sleep(0.01)
                a.proc.terminate()
                worker.proc.terminate()
                replacement = Worker(db, tmp_path, "worker-2", env=ENV)

            await asyncio.gather(*(writer(n) for n in range(6)), terminate_mid_load())
            # Both got their one SIGTERM: wait for them to finish (a second signal during the
            # interpreter's exit, once the handlers are gone, would kill the process).
            a.proc.wait(timeout=60)
            worker.proc.wait(timeout=60)
            a.stop()
            worker.stop()

            # Then every acknowledged write is in the database, with its event
            # (uvicorn finishes in-flight requests and the lifespan, then re-raises SIGTERM)
            assert "Application shutdown complete." in a.logs()
            assert worker.proc.returncode == 0, worker.logs()
            assert len(succeeded) >= 45  # B answered its half throughout
            assert failed + len(succeeded) == 90
            assert failed > 0  # A really went away mid-load
            stored = set(await Member.filter(id__in=succeeded).values_list("id", flat=True))
            assert stored == set(succeeded)
            events = await Event.filter(type=CREATED, organization_id=org.id)
            assert set(succeeded) <= {e.data["id"] for e in events}
            # And B still serves everything that was written
            page = (await _gql(http, b.url, operator_token, MEMBERS, {"org": org.id})).json()
            assert page["data"]["organization"]["members"]["totalCount"] == len(succeeded) + 2

        # And the receiver gets every event at least once, across the change of worker
        everything = {e.data["id"] for e in events}

        async def all_delivered() -> bool:
            return {json.loads(body)["data"]["id"] for _, body in receiver.received} >= everything

        await eventually(all_delivered, timeout=60)

        # And the subscriber was told to resume, did so on B, and saw every event exactly once
        async def all_seen() -> bool:
            return set(subscriber.member_ids) >= everything

        await eventually(all_seen, timeout=60)
        assert subscriber.shutdown_codes == ["SERVER_SHUTTING_DOWN"]
        assert len(subscriber.member_ids) == len(set(subscriber.member_ids)) == len(everything)
    finally:
        if following is not None:
            following.cancel()
        for process in (a, b, worker, replacement):
            if process is not None:
                process.stop()
        await receiver.stop()
