"""Only requests that wrote events wake the sequencer; reads leave it to its poll."""

from __future__ import annotations

import httpx

from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.server.app import create_app

ORG = "query($id: ID!) { organization(id: $id) { id name } }"
ADD = """mutation($org: ID!, $email: String!) { createMember(input:
  {organizationId: $org, email: $email}) { member { id } userErrors { code } } }"""
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


async def test_reads_do_not_wake_the_sequencer_writes_do(settings, make_org, operator_token):
    app = create_app(settings, manage_db=False)
    kick = app.state.events._kick
    org = await make_org("Kick")
    directory, scim_token = await directories.create_directory(operator_principal(), org.id, "IdP")
    headers = {"Authorization": f"Bearer {operator_token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        # a read, over GraphQL and over SCIM
        kick.clear()
        r = await client.post(
            "/graphql", json={"query": ORG, "variables": {"id": org.id}}, headers=headers
        )
        assert r.json()["data"]["organization"]["id"] == org.id
        r = await client.get(
            f"/scim/v2/{directory.id}/Users", headers={"Authorization": f"Bearer {scim_token}"}
        )
        assert r.status_code == 200
        assert not kick.is_set()

        # a mutation that records its event
        r = await client.post(
            "/graphql",
            json={"query": ADD, "variables": {"org": org.id, "email": "kick@example.com"}},
            headers=headers,
        )
        assert r.json()["data"]["createMember"]["userErrors"] == []
        assert kick.is_set()

        # SCIM provisioning, whose events are inserted in bulk
        kick.clear()
        r = await client.post(
            f"/scim/v2/{directory.id}/Users",
            json={"schemas": [USER], "userName": "idp@example.com", "active": True},
            headers={"Authorization": f"Bearer {scim_token}"},
        )
        assert r.status_code == 201, r.text
        assert kick.is_set()
