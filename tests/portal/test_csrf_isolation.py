"""SECURITY 24 and 28 for portal sessions: the cookie alone never authenticates (CSRF header
and Origin required), and a session for organization A never reaches organization B."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from gatehouse.auth.portal import csrf_token_for
from gatehouse.models import Domain, Event, Organization, PortalLink
from gatehouse.schema import build_schema

VIEWER = "{ viewer { kind organizationId } }"
HAS_DOMAINS = "addDomain" in str(build_schema())
needs_domains = pytest.mark.skipif(not HAS_DOMAINS, reason="addDomain not merged yet")
ADD_DOMAIN = """mutation($org: ID!, $domain: String!) {
  addDomain(input: {organizationId: $org, domain: $domain}) { domain { id } userErrors { code } }
}"""


async def _snapshot() -> tuple[int, ...]:
    return (
        await Domain.all().count(),
        await Event.all().count(),
        await PortalLink.all().count(),
        await Organization.all().count(),
    )


@pytest.fixture
async def two_orgs(browser_session, make_org, make_link):
    a = await make_org("Acme")
    b = await make_org("Beta")
    response = await browser_session.open(await make_link(a.id, ["DOMAIN_VERIFICATION"]))
    assert response.status_code == 303
    return a, b


async def test_with_csrf_header_and_origin_the_cookie_authenticates(two_orgs, browser_session):
    a, _ = two_orgs
    body = (await browser_session.gql(VIEWER)).json()
    assert body["data"]["viewer"] == {"kind": "PORTAL", "organizationId": a.id}


@pytest.mark.parametrize(
    ("csrf", "origin"),
    [
        (None, "auto"),  # a cross-site form post or fetch cannot set the header
        ("auto", None),  # no Origin at all
        ("auto", "https://evil.example"),  # another site
        ("auto", "http://127.0.0.1:8000.evil.example"),  # prefix trick
        ("0" * 64, "auto"),  # a made-up token
    ],
)
async def test_cookie_without_csrf_header_or_our_origin_is_refused(
    two_orgs, browser_session, csrf, origin
):
    body = (await browser_session.gql(VIEWER, csrf=csrf, origin=origin)).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_another_sessions_csrf_token_is_refused(two_orgs, browser_session):
    body = (
        await browser_session.gql(
            VIEWER,
            csrf=csrf_token_for(browser_session.settings.secret_key, "ps_someone-elses-cookie"),
        )
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_bearer_credential_still_wins_over_the_cookie(two_orgs, client, operator_token):
    response = await client.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": f"Bearer {operator_token}"},
    )
    assert response.json()["data"]["viewer"]["kind"] == "OPERATOR"


async def test_portal_session_for_a_cannot_read_b(two_orgs, browser_session):
    a, b = two_orgs
    query = """query($b: ID!) {
      organization(id: $b) { id name }
      node(id: $b) { id }
      organizations(first: 10) { edges { node { id } } }
    }"""
    body = (await browser_session.gql(query, {"b": b.id})).json()
    assert body.get("errors") is None, body
    assert body["data"]["organization"] is None
    assert body["data"]["node"] is None
    assert [e["node"]["id"] for e in body["data"]["organizations"]["edges"]] == [a.id]


@pytest.mark.parametrize("target", ["a", "b"])
async def test_portal_session_cannot_change_organizations_or_mint_links(
    two_orgs, browser_session, target
):
    a, b = two_orgs
    org = a if target == "a" else b
    before = await _snapshot()
    for mutation in (
        'mutation($id: ID!) { updateOrganization(input: {id: $id, name: "x"}) '
        "{ userErrors { code } } }",
        "mutation($id: ID!) { generatePortalLink(input: {organizationId: $id, "
        "intents: [DOMAIN_VERIFICATION]}) { link userErrors { code } } }",
        'mutation($id: ID!) { createApiKey(input: {name: "k", organizationId: $id}) '
        "{ secret userErrors { code } } }",
        # Outside the link's intents (DOMAIN_VERIFICATION only): SSO is not reachable.
        'mutation($id: ID!) { createSamlConnection(input: {organizationId: $id, name: "x"}) '
        "{ userErrors { code } } }",
    ):
        body = (await browser_session.gql(mutation, {"id": org.id})).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert await _snapshot() == before


@needs_domains
async def test_portal_session_for_a_cannot_add_a_domain_to_b(two_orgs, browser_session):
    _, b = two_orgs
    before = await _snapshot()
    body = (
        await browser_session.gql(ADD_DOMAIN, {"org": b.id, "domain": "beta-corp.example"})
    ).json()
    assert body["data"]["addDomain"]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert await _snapshot() == before


@needs_domains
async def test_cross_site_post_with_only_the_cookie_changes_nothing(two_orgs, browser_session):
    a, _ = two_orgs
    before = await _snapshot()
    # What a page on another site can make a browser send: the cookie (SameSite=Lax still
    # sends it on top-level navigations), a simple content type, its own Origin, no header.
    response = await browser_session.client.post(
        "/graphql",
        content=f'{{"query": "mutation {{ addDomain(input: {{organizationId: \\"{a.id}\\", '
        f'domain: \\"acme-corp.example\\"}}) {{ userErrors {{ code }} }} }}"}}',
        headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
    )
    assert "acme-corp" not in response.text or "UNAUTHENTICATED" in response.text
    assert await _snapshot() == before
    # And the same mutation from our own page (header + Origin) works: the refusal above
    # was the CSRF defence, not a broken mutation.
    ok = (
        await browser_session.gql(ADD_DOMAIN, {"org": a.id, "domain": "acme-corp.example"})
    ).json()
    assert ok["data"]["addDomain"]["userErrors"] == []


@needs_domains
async def test_portal_session_for_a_cannot_reach_bs_domain_by_id(two_orgs, browser_session):
    from gatehouse.auth.principal import operator_principal
    from gatehouse.resolvers.domains import lifecycle as domains

    _, b = two_orgs
    theirs = await domains.add_domain(operator_principal(), b.id, "beta-corp.example")
    before = await _snapshot()
    read = (
        await browser_session.gql("query($id: ID!) { node(id: $id) { id } }", {"id": theirs.id})
    ).json()
    assert read["data"]["node"] is None
    for mutation in ("verifyDomain", "removeDomain"):
        body = (
            await browser_session.gql(
                f"mutation($id: ID!) {{ {mutation}(input: {{domainId: $id}}) "
                "{ userErrors { code } } }",
                {"id": theirs.id},
            )
        ).json()
        assert body["data"][mutation]["userErrors"] == [{"code": "NOT_FOUND"}], body
    assert await _snapshot() == before
    assert (await Domain.get(id=theirs.id)).state.value == "PENDING"


async def test_directory_session_for_a_cannot_touch_bs_directory(
    make_org, make_link, browser_session
):
    from gatehouse.auth.principal import operator_principal
    from gatehouse.models import Directory
    from gatehouse.resolvers.directories import lifecycle as directories

    a = await make_org("Acme")
    b = await make_org("Beta")
    theirs, _ = await directories.create_directory(operator_principal(), b.id, "Beta SCIM")
    await browser_session.open(await make_link(a.id, ["DSYNC"]))
    hash_before = (await Directory.get(id=theirs.id)).token_hash
    body = (
        await browser_session.gql(
            "mutation($id: ID!) { rotateDirectoryToken(input: {directoryId: $id}) "
            "{ bearerToken userErrors { code } } }",
            {"id": theirs.id},
        )
    ).json()
    payload = body["data"]["rotateDirectoryToken"]
    assert payload["userErrors"] == [{"code": "NOT_FOUND"}]
    assert payload["bearerToken"] is None
    assert (await Directory.get(id=theirs.id)).token_hash == hash_before
    read = (
        await browser_session.gql("query($id: ID!) { node(id: $id) { id } }", {"id": theirs.id})
    ).json()
    assert read["data"]["node"] is None


async def test_the_csrf_token_is_keyed_with_the_server_secret(two_orgs, browser_session):
    cookie = browser_session.cookie
    # The page's own token, under this server's key, works.
    token = csrf_token_for(browser_session.settings.secret_key, cookie)
    assert (await browser_session.gql(VIEWER, csrf=token)).json()["data"]["viewer"]
    # One computed from the cookie alone (without the server's key), or under another
    # server's key, does not: knowing a cookie is not enough to forge its token.
    cookie_only = hmac.new(cookie.encode(), b"gatehouse-portal-csrf", hashlib.sha256).hexdigest()
    for forged in (cookie_only, csrf_token_for("another-servers-secret-key", cookie)):
        body = (await browser_session.gql(VIEWER, csrf=forged)).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
