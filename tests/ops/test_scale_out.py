"""Acceptance: two `gatehouse serve` processes on one PostgreSQL serve the same data, and
terminating one mid-load loses no committed write: every mutation that got a success answer
is in the database with its event."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

from gatehouse.models import Event, Member
from tests.ops.procs import Server

CREATE_MEMBER = """mutation AddMember($org: ID!, $email: String!) { createMember(input:
  {organizationId: $org, email: $email}) { member { id } userErrors { code } } }"""
MEMBERS = """query Members($org: ID!) { organization(id: $org) { members(first: 100) {
  totalCount edges { node { id user { email } } } } } }"""
NO_LIMITS = {"GATEHOUSE_RATE_LIMIT_ENABLED": "false"}

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


async def test_two_processes_share_data_and_lose_no_committed_write(  # noqa: PLR0915 - one scenario, read top to bottom
    db, operator_token, make_org, tmp_path
):
    org = await make_org("Scale")
    a = Server(db, tmp_path, "--log-level", "info", env=NO_LIMITS)
    b = Server(db, tmp_path, "--log-level", "warning", env=NO_LIMITS)
    try:
        a.wait_ready("/readyz")
        b.wait_ready("/readyz")
        async with httpx.AsyncClient(timeout=30) as http:
            # Given a write through A, then B reads it (and the other way round)
            r = await _gql(
                http,
                a.url,
                operator_token,
                CREATE_MEMBER,
                {"org": org.id, "email": "via-a@example.com"},
            )
            assert r.json()["data"]["createMember"]["userErrors"] == []
            r = await _gql(
                http,
                b.url,
                operator_token,
                CREATE_MEMBER,
                {"org": org.id, "email": "via-b@example.com"},
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

            # When writers load both processes and A is terminated mid-load
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

            async def terminate_a_mid_load() -> None:
                while a_hits < 10:  # A has committed writes before it goes
                    await asyncio.sleep(0.01)
                a.proc.terminate()

            await asyncio.gather(*(writer(n) for n in range(6)), terminate_a_mid_load())
            a.stop()

            # Then every acknowledged write is in the database, with its event
            # (uvicorn finishes in-flight requests and the lifespan, then re-raises SIGTERM)
            assert "Application shutdown complete." in a.logs()
            assert len(succeeded) >= 45  # B answered its half throughout
            stored = set(await Member.filter(id__in=succeeded).values_list("id", flat=True))
            assert stored == set(succeeded)
            events = await Event.filter(
                type="organization_membership.created", organization_id=org.id
            )
            assert set(succeeded) <= {e.data["id"] for e in events}
            # And B still serves everything that was written
            page = (await _gql(http, b.url, operator_token, MEMBERS, {"org": org.id})).json()
            assert page["data"]["organization"]["members"]["totalCount"] == len(succeeded) + 2
            assert failed + len(succeeded) == 90
            assert failed > 0  # A really went away mid-load
    finally:
        a.stop()
        b.stop()
