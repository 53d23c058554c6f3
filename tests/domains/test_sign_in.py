"""resolveSignIn: each method in its situation, and who may ask."""

from __future__ import annotations

import pytest

from gatehouse.models import Connection, ConnectionState, ConnectionType


async def verified_org(make_org, add, verify, publish, name="Acme", domain="acme.com"):
    org = await make_org(name)
    added = (await add(org.id, domain))["domain"]
    publish(added)
    assert (await verify(added["id"]))["domain"]["state"] == "VERIFIED"
    return org


POLICY = """mutation($i: UpdateOrganizationPolicyInput!) { updateOrganizationPolicy(input: $i) {
  organization { policy { joinByVerifiedDomain requireSso } } userErrors { code } } }"""


@pytest.fixture
def set_policy(gql, operator_token):
    async def call(org_id, **change):
        body = await gql(POLICY, {"i": {"organizationId": org_id, **change}}, token=operator_token)
        assert body["data"]["updateOrganizationPolicy"]["userErrors"] == []

    return call


async def test_invitation_required_by_default(make_org, add, verify, publish, sign_in):
    org = await verified_org(make_org, add, verify, publish)
    route = (await sign_in("Bob@Acme.com"))["data"]["resolveSignIn"]
    assert route["method"] == "INVITATION_REQUIRED"
    assert route["organization"] == {"id": org.id}
    assert route["domain"] == {"domain": "acme.com"}
    assert route["authorizeUrl"] is None
    assert "invitation" in route["reason"]


async def test_join_by_domain_when_policy_allows(
    make_org, add, verify, publish, sign_in, set_policy
):
    org = await verified_org(make_org, add, verify, publish)
    await set_policy(org.id, joinByVerifiedDomain=True)
    route = (await sign_in("bob@acme.com"))["data"]["resolveSignIn"]
    assert route["method"] == "JOIN_BY_DOMAIN"
    assert route["organization"] == {"id": org.id}


async def test_sso_when_an_active_connection_exists(
    make_org, add, verify, publish, sign_in, set_policy
):
    org = await verified_org(make_org, add, verify, publish)
    await set_policy(org.id, joinByVerifiedDomain=True)
    # a draft or inactive connection does not route
    await Connection.create(organization_id=org.id, name="Draft", type=ConnectionType.SAML)
    await Connection.create(
        organization_id=org.id,
        name="Old",
        type=ConnectionType.OIDC,
        state=ConnectionState.INACTIVE,
    )
    assert (await sign_in("bob@acme.com"))["data"]["resolveSignIn"]["method"] == "JOIN_BY_DOMAIN"
    await Connection.create(
        organization_id=org.id, name="Okta", type=ConnectionType.SAML, state=ConnectionState.ACTIVE
    )
    route = (await sign_in("bob@acme.com"))["data"]["resolveSignIn"]
    assert route["method"] == "SSO"
    assert route["authorizeUrl"] == f"https://gatehouse.test/sso/authorize?organization={org.id}"


async def test_require_sso_without_connection_needs_invitation(
    make_org, add, verify, publish, sign_in, set_policy
):
    org = await verified_org(make_org, add, verify, publish)
    await set_policy(org.id, joinByVerifiedDomain=True, requireSso=True)
    route = (await sign_in("bob@acme.com"))["data"]["resolveSignIn"]
    assert route["method"] == "INVITATION_REQUIRED"
    assert "requires SSO" in route["reason"]


async def test_subdomain_email_routes_to_parent_owner(make_org, add, verify, publish, sign_in):
    org = await verified_org(make_org, add, verify, publish)
    route = (await sign_in("bob@eu.acme.com"))["data"]["resolveSignIn"]
    assert route["organization"] == {"id": org.id}
    assert route["domain"] == {"domain": "acme.com"}


async def test_most_specific_verified_domain_wins(make_org, add, verify, publish, sign_in):
    # a subsidiary verified eu.acme.com before the parent company verified acme.com
    eu = await verified_org(make_org, add, verify, publish, "Acme EU", "eu.acme.com")
    parent = await verified_org(make_org, add, verify, publish, "Acme", "acme.com")
    assert (await sign_in("bob@eu.acme.com"))["data"]["resolveSignIn"]["organization"] == {
        "id": eu.id
    }
    assert (await sign_in("bob@acme.com"))["data"]["resolveSignIn"]["organization"] == {
        "id": parent.id
    }


async def test_none_for_unverified_unknown_and_public_domains(make_org, add, sign_in):
    org = await make_org()
    await add(org.id, "pending.example")  # claimed, never verified: routes nobody
    for email, words in [
        ("bob@pending.example", "No organization"),
        ("bob@unknown.example", "No organization"),
        ("bob@gmail.com", "Public email provider"),
    ]:
        route = (await sign_in(email))["data"]["resolveSignIn"]
        assert route["method"] == "NONE"
        assert route["organization"] is None
        assert words in route["reason"]


async def test_unicode_email_domain_routes(make_org, add, verify, publish, sign_in):
    org = await verified_org(make_org, add, verify, publish, "Résumé", "résumé.example")
    route = (await sign_in("bob@RÉSUMÉ.example"))["data"]["resolveSignIn"]
    assert route["organization"] == {"id": org.id}


async def test_removed_domain_stops_routing(make_org, add, verify, remove, publish, sign_in):
    org = await make_org()
    domain = (await add(org.id, "acme.com"))["domain"]
    publish(domain)
    await verify(domain["id"])
    assert (await sign_in("bob@acme.com"))["data"]["resolveSignIn"]["method"] != "NONE"
    await remove(domain["id"])
    assert (await sign_in("bob@acme.com"))["data"]["resolveSignIn"]["method"] == "NONE"


async def test_invalid_email_is_an_error(sign_in, db):
    body = await sign_in("not an email")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID_EMAIL"


async def test_anonymous_caller_is_refused(make_org, add, verify, publish, gql):
    await verified_org(make_org, add, verify, publish)
    body = await gql('{ resolveSignIn(email: "bob@acme.com") { method } }')
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_scoped_caller_sees_only_its_own_organization(
    make_org, add, verify, publish, sign_in, org_token
):
    acme = await verified_org(make_org, add, verify, publish, "Acme", "acme.com")
    other = await verified_org(make_org, add, verify, publish, "Other", "other.example")
    token = await org_token(acme.id, "organizations:read")
    own = (await sign_in("bob@acme.com", token=token))["data"]["resolveSignIn"]
    assert own["organization"] == {"id": acme.id}
    # another tenant's verified domain reads as unknown: no hint that it exists
    foreign = (await sign_in("bob@other.example", token=token))["data"]["resolveSignIn"]
    assert foreign == (await sign_in("bob@unknown.example", token=token))["data"]["resolveSignIn"]
    assert foreign["method"] == "NONE"
    assert other.id not in str(foreign)
    # without organizations:read: refused
    weak = await org_token(acme.id, "members:read")
    body = await sign_in("bob@acme.com", token=weak)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
