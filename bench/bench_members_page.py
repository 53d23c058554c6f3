"""Members page of 100 (with user and role): GraphQL vs. a plain Starlette JSON endpoint.

Both run in the same process over the same data and issue the same ORM queries (the
organization, the page of members, then its users and roles by `id__in`); the figure is the cost
GraphQL adds on top. Requests go through httpx's ASGI transport, so no socket noise is measured.
The two alternate in rounds and each round's process CPU time is taken, so other work on the
machine shifts both alike; the ratio is of the medians.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gatehouse.auth.backend import principal_from_authorization
from gatehouse.auth.principal import operator_principal
from gatehouse.models import Member, MemberSource, Role, User
from gatehouse.resolvers import api_keys, organizations
from gatehouse.server.app import create_app
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.settings import Settings

ROUNDS, PER_ROUND = 10, 30
QUERY = """query($id: ID!) { organization(id: $id) { members(first: 100) { edges { node {
  id status user { email firstName lastName } role { slug name } } } } } }"""


async def plain_members(request: Request) -> JSONResponse:
    # The same work GraphQL does: authenticate, load the organization, then the page.
    principal = await principal_from_authorization(
        request.headers.get("authorization"), request.app.state.settings
    )
    assert principal.is_authenticated
    org_id = request.path_params["org_id"]
    await organizations.get_organization(principal, org_id)
    page = await Member.filter(organization_id=org_id).order_by("id").limit(100)
    users = {u.id: u for u in await User.filter(id__in=[m.user_id for m in page])}
    roles = {r.id: r for r in await Role.filter(id__in=[m.role_id for m in page])}
    return JSONResponse(
        {
            "members": [
                {
                    "id": m.id,
                    "status": m.status.value,
                    "user": {
                        "email": users[m.user_id].email,
                        "firstName": users[m.user_id].first_name,
                        "lastName": users[m.user_id].last_name,
                    },
                    "role": {"slug": roles[m.role_id].slug, "name": roles[m.role_id].name},
                }
                for m in page
            ]
        }
    )


async def cpu_ms_per_request(client: httpx.AsyncClient, send) -> float:
    start = time.process_time()
    for _ in range(PER_ROUND):
        await send(client)
    return (time.process_time() - start) * 1000 / PER_ROUND


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.db'}"
        await migrate(url)
        await init_db(url)
        op = operator_principal()
        org = await organizations.create_organization(op, organizations.NewOrganization("Bench"))
        _, secret = await api_keys.create_api_key(op, "bench")
        role = await Role.get(organization_id=org.id, slug="member")
        await User.bulk_create(
            [
                User(email=f"u{i}@bench.example", first_name="U", last_name=str(i))
                for i in range(100)
            ]
        )
        await Member.bulk_create(
            [
                Member(
                    organization_id=org.id,
                    user_id=u.id,
                    role_id=role.id,
                    source=MemberSource.MANUAL,
                )
                for u in await User.all()
            ]
        )
        # One key makes every request: measure GraphQL, not the per-key rate limit.
        app = create_app(
            Settings(DATABASE_URL=url, GATEHOUSE_RATE_LIMIT_ENABLED=False), manage_db=False
        )
        app.router.routes.append(Route("/plain/{org_id}/members", plain_members))
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers
        ) as client:

            async def graphql(c: httpx.AsyncClient) -> None:
                r = await c.post("/graphql", json={"query": QUERY, "variables": {"id": org.id}})
                assert len(r.json()["data"]["organization"]["members"]["edges"]) == 100

            async def plain(c: httpx.AsyncClient) -> None:
                r = await c.get(f"/plain/{org.id}/members")
                assert len(r.json()["members"]) == 100

            for _ in range(20):  # warm up both
                await plain(client)
                await graphql(client)
            rounds: dict[str, list[float]] = {"plain": [], "graphql": []}
            for _ in range(ROUNDS):
                rounds["plain"].append(await cpu_ms_per_request(client, plain))
                rounds["graphql"].append(await cpu_ms_per_request(client, graphql))
        await close_db()
    plain_ms, graphql_ms = (statistics.median(rounds[k]) for k in ("plain", "graphql"))
    print(f"members page of 100 (SQLite, in-process ASGI, {ROUNDS} alternating rounds)")
    print(f"  plain Starlette JSON : {plain_ms:6.2f} CPU ms/request (median of rounds)")
    print(f"  GraphQL (Strawberry) : {graphql_ms:6.2f} CPU ms/request")
    ratio = graphql_ms / plain_ms
    print(f"  GraphQL cost         : {ratio:6.2f}x the plain endpoint (target: 1.5x)")


if __name__ == "__main__":
    asyncio.run(main())
