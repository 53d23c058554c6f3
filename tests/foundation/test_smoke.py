from __future__ import annotations


async def test_viewer_with_operator_key(gql, operator_token):
    body = await gql("{ viewer { kind organizationId permissions } }", token=operator_token)
    assert body["data"]["viewer"]["kind"] == "OPERATOR"
    assert body["data"]["viewer"]["organizationId"] is None
    assert "organizations:manage" in body["data"]["viewer"]["permissions"]


async def test_create_org_and_list(gql, operator_token):
    body = await gql(
        """mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
             organization { id name roles { slug } policy { defaultRole { slug } } }
             userErrors { field code message } } }""",
        {"i": {"name": "Acme"}},
        token=operator_token,
    )
    payload = body["data"]["createOrganization"]
    assert payload["userErrors"] == []
    assert payload["organization"]["name"] == "Acme"
    assert sorted(r["slug"] for r in payload["organization"]["roles"]) == ["admin", "member"]
    assert payload["organization"]["policy"]["defaultRole"]["slug"] == "member"
