"""The typed TypeScript client (clients/typescript), Apollo Client's persisted-queries link and
graphql-http's audit, each in Node against a live server. The client is built from nothing:
npm install (cached outside the repository), graphql-codegen from the schema, tsc."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.clients.node import build_client, node_test


@pytest.fixture(scope="session")
def built_client() -> Path:
    return build_client()


async def _node(work: Path, test_file: str, **env: str) -> str:
    # In a thread: the live server runs in this event loop and must keep answering.
    return await asyncio.to_thread(node_test, work, test_file, **env)


async def test_the_typed_client_against_a_live_server(built_client, api_server, operator_token):
    # given a live server
    url = await api_server()

    # when the built client's tests run against it: a query, a mutation and its userErrors,
    # cursor pages, a live subscription, a refused credential
    output = await _node(
        built_client,
        "client.test.mjs",
        GATEHOUSE_URL=f"{url}/graphql",
        GATEHOUSE_TOKEN=operator_token,
    )

    # then every one passed
    assert "# fail 0" in output, output


async def test_the_typed_client_runs_only_trusted_documents_from_its_manifest(
    built_client, api_server, operator_token
):
    # given a server that runs only the documents codegen wrote into the client's manifest
    manifest = built_client / "src" / "gql" / "persisted-documents.json"
    assert json.loads(manifest.read_text())
    url = await api_server(GATEHOUSE_TRUSTED_DOCUMENTS=str(manifest))

    # when the client sends only hashes, every listed operation runs
    output = await _node(
        built_client,
        "client.test.mjs",
        GATEHOUSE_URL=f"{url}/graphql",
        GATEHOUSE_TOKEN=operator_token,
        GATEHOUSE_PERSISTED="1",
    )
    assert "# fail 0" in output, output

    # and a document not in the manifest is refused
    async with httpx.AsyncClient(base_url=url) as c:
        response = await c.post(
            "/graphql",
            json={"query": "{ organizations { totalCount } }"},
            headers={"Authorization": f"Bearer {operator_token}"},
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"


async def test_apollo_clients_persisted_queries_link(built_client, api_server, operator_token):
    url = await api_server()
    output = await _node(
        built_client,
        "apollo.test.mjs",
        GATEHOUSE_URL=f"{url}/graphql",
        GATEHOUSE_TOKEN=operator_token,
    )
    assert "# fail 0" in output, output


async def test_graphql_http_audit_passes(built_client, api_server, operator_token):
    url = await api_server()
    output = await _node(
        built_client,
        "audit.test.mjs",
        GATEHOUSE_URL=f"{url}/graphql",
        GATEHOUSE_TOKEN=operator_token,
    )
    assert "# fail 0" in output, output
