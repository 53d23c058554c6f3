"""The README's "From Python (gql)" example, against a live server: a query over HTTP, then
the onboarding subscription over graphql-transport-ws."""

from __future__ import annotations

import asyncio

from gql import Client, GraphQLRequest, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from gatehouse.models import Domain, DomainState


async def test_the_readme_gql_example_runs(api_server, operator_token, make_org):
    # given a live server and an organization with a failed domain
    url = await api_server()
    org = await make_org("Stuck Co")
    await Domain.create(
        organization=org, domain="stuck.example", state=DomainState.FAILED, token="t"
    )

    # when the README's query runs through gql's httpx transport
    http = HTTPXAsyncTransport(
        url=f"{url}/graphql", headers={"Authorization": f"Bearer {operator_token}"}
    )
    async with Client(transport=http) as session:
        result = await session.execute(
            gql("{ organizations(onboarding: NEEDS_ATTENTION) { edges { node { id name } } } }")
        )
    # then it finds the stuck organization
    assert result["organizations"]["edges"] == [{"node": {"id": org.id, "name": "Stuck Co"}}]

    # when the README's subscription runs through gql's websockets transport
    ws = WebsocketsTransport(
        url=f"{url}/graphql".replace("http", "ws"),
        init_payload={"authorization": f"Bearer {operator_token}"},
        subprotocols=["graphql-transport-ws"],
    )
    async with Client(transport=ws) as session:
        doc = GraphQLRequest(
            "subscription($o: ID!) { onboarding(organizationId: $o) { state completedSteps } }",
            variable_values={"o": org.id},
        )
        async with asyncio.timeout(15):
            async for status in session.subscribe(doc):
                # then the first message is the current status
                assert status["onboarding"] == {"state": "NEEDS_ATTENTION", "completedSteps": 0}
                break
