"""Operators end an organization's portal sessions at once (a lost laptop, a wrong recipient)."""

from __future__ import annotations

from gatehouse.auth.portal import load_portal_session
from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.portal import links as portal

REVOKE = """mutation($id: ID!) {
  revokePortalSessions(input: {organizationId: $id}) { revokedCount userErrors { code } }
}"""
VIEWER = "{ viewer { kind organizationId } }"


async def _open_session(settings, org_id: str) -> str:
    """A session started the way POST /portal/start starts one; returns its cookie token."""
    _, url = await portal.generate_portal_link(
        operator_principal(), settings, org_id, ["DOMAIN_VERIFICATION"]
    )
    _, cookie = await portal.start_portal_session(url.split("token=")[1], settings)
    return cookie


async def test_revoking_ends_every_open_session_of_the_organization(
    gql, operator_token, make_org, make_link, browser_session, client, settings
):
    # Given two open sessions for Acme (one in this browser) and one for Beta
    acme = await make_org("Acme")
    beta = await make_org("Beta")
    await browser_session.open(await make_link(acme.id))
    other_acme = await _open_session(settings, acme.id)
    betas = await _open_session(settings, beta.id)
    assert (await browser_session.gql(VIEWER)).json()["data"]["viewer"]["kind"] == "PORTAL"
    # When the operator revokes Acme's portal sessions
    body = await gql(REVOKE, {"id": acme.id}, token=operator_token)
    # Then both end at once: the cookie reads as anonymous and pages lead to the expired page
    assert body["data"]["revokePortalSessions"] == {"revokedCount": 2, "userErrors": []}
    viewer = (await browser_session.gql(VIEWER)).json()
    assert viewer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    page = await client.get("/portal")
    assert page.headers["location"] == "/portal/expired?reason=session"
    assert await load_portal_session(other_acme) is None
    # And Beta's session is untouched
    assert await load_portal_session(betas) is not None
    event = await Event.get(type="portal_sessions.revoked")
    assert (event.organization_id, event.data) == (acme.id, {"count": 2})
    # Revoking again finds nothing left to end
    again = await gql(REVOKE, {"id": acme.id}, token=operator_token)
    assert again["data"]["revokePortalSessions"] == {"revokedCount": 0, "userErrors": []}
    assert await Event.filter(type="portal_sessions.revoked").count() == 1


async def test_an_org_key_of_another_org_cannot_revoke(gql, make_org, settings):
    acme = await make_org("Acme")
    beta = await make_org("Beta")
    betas = await _open_session(settings, beta.id)
    _, acme_key = await api_keys.create_api_key(operator_principal(), "k", acme.id, None)
    body = await gql(REVOKE, {"id": beta.id}, token=acme_key)
    assert body["data"]["revokePortalSessions"] == {
        "revokedCount": None,
        "userErrors": [{"code": "NOT_FOUND"}],
    }
    assert await load_portal_session(betas) is not None
    assert not await Event.filter(type="portal_sessions.revoked").exists()


async def test_revoking_needs_portal_write(gql, make_org, settings, browser_session, make_link):
    acme = await make_org("Acme")
    acmes = await _open_session(settings, acme.id)
    _, without = await api_keys.create_api_key(
        operator_principal(), "k", acme.id, ["organizations:read"]
    )
    _, with_it = await api_keys.create_api_key(
        operator_principal(), "k2", acme.id, ["portal:write"]
    )
    refused = await gql(REVOKE, {"id": acme.id}, token=without)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A portal session cannot end sessions either (it never holds portal:write)
    await browser_session.open(await make_link(acme.id))
    from_portal = (await browser_session.gql(REVOKE, {"id": acme.id})).json()
    assert from_portal["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await load_portal_session(acmes) is not None
    allowed = await gql(REVOKE, {"id": acme.id}, token=with_it)
    assert allowed["data"]["revokePortalSessions"] == {"revokedCount": 2, "userErrors": []}
