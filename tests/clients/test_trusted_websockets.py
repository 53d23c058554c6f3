"""Trusted documents over websockets: a listed subscription runs (by hash or text), an unlisted
one is refused before it is parsed, and the socket stays open."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from graphql import parse, print_ast

# As gql sends it (it prints the parsed document): the manifest lists the exact text a client
# sends, or the client sends the hash.
LISTED = print_ast(
    parse("subscription Follow($o: ID!) { onboarding(organizationId: $o) { state } }")
)


async def test_only_listed_subscriptions_run_over_websockets(
    api_server, operator_token, make_org, tmp_path
):
    # given a server that trusts one subscription document
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({hashlib.sha256(LISTED.encode()).hexdigest(): LISTED}))
    url = await api_server(GATEHOUSE_TRUSTED_DOCUMENTS=str(manifest))
    org = await make_org("Acme")
    transport = WebsocketsTransport(
        url=f"{url}/graphql".replace("http", "ws"),
        init_payload={"authorization": f"Bearer {operator_token}"},
        subprotocols=["graphql-transport-ws"],
    )
    async with Client(transport=transport) as session:
        # when an unlisted subscription is sent, it is refused with the trusted-documents code
        unlisted = GraphQLRequest(
            "subscription { events { id } }",
        )
        with pytest.raises(TransportQueryError) as refused:
            await asyncio.wait_for(_first(session, unlisted), 15)
        assert "TRUSTED_DOCUMENT_REQUIRED" in str(refused.value.errors)

        # and on the same socket the listed one runs
        listed = GraphQLRequest(LISTED, variable_values={"o": org.id}, operation_name="Follow")
        async with asyncio.timeout(15):
            async for status in session.subscribe(listed):
                assert status["onboarding"]["state"] == "NOT_STARTED"
                break


async def _first(session, request):
    async for result in session.subscribe(request):
        return result
    return None
