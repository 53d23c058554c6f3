"""SSO page in Chromium: SAML from a metadata URL, and a generic OIDC connection against the
real loopback OpenID provider from tests/sso."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gatehouse.models import Connection, ConnectionState, ConnectionType
from gatehouse.settings import Settings
from tests.portal.conftest import open_link
from tests.portal.test_browser_sso import metadata
from tests.sso.oidc_provider import Provider, start
from tests.sso.saml_idp import make_keypair


@pytest.fixture
def settings(db: str, dns_server: Any) -> Settings:
    """The IdP fixtures listen on loopback, which the SSRF guard refuses unless allowed."""
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_DNS_NAMESERVERS=f"127.0.0.1:{dns_server.port}",
        GATEHOUSE_DOMAIN_RECHECKS=False,
        GATEHOUSE_SSO_ALLOW_PRIVATE_URLS=True,
    )


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    provider = Provider()
    provider.reset()
    server, task = await start(provider)
    yield provider
    server.should_exit = True
    await task


async def test_saml_connection_from_a_metadata_url(
    page, live_server, make_org, make_link, provider
):
    # Given an IdP publishing its metadata on a loopback HTTP server
    provider.saml_metadata = metadata(make_keypair("Url IdP", days=90).cert_b64)
    org = await make_org("Acme Industries")
    await open_link(page, await make_link(org.id, ["SSO"]))
    await page.goto(f"{live_server}/portal/sso")
    await page.get_by_label("Okta").check()
    await page.get_by_role("button", name="Continue").click()
    # When the admin gives the metadata URL
    await page.get_by_label("IdP metadata URL").fill(f"{provider.issuer}/saml/metadata")
    await page.get_by_role("button", name="Fetch metadata").click()
    # Then the connection holds the IdP's values and the certificate is shown
    await page.get_by_test_id("certificates").wait_for()
    assert "Url IdP" in await page.get_by_test_id("certificates").inner_text()
    conns = await Connection.filter(organization_id=org.id)
    assert len(conns) == 1
    assert conns[0].saml_idp_entity_id == "http://www.okta.com/exk-portal"
    assert conns[0].saml_idp_sso_url == "https://acme.okta.com/app/exk-portal/sso/saml"


async def test_generic_oidc_connection_created_and_activated(
    page, live_server, make_org, make_link, provider
):
    org = await make_org("Acme Industries")
    await open_link(page, await make_link(org.id, ["SSO"]))
    await page.goto(f"{live_server}/portal/sso")
    await page.get_by_label("Generic OIDC").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Issuer URL").fill(provider.issuer)
    await page.get_by_label("Client ID").fill(provider.client_id)
    await page.get_by_label("Client secret").fill(provider.client_secret)
    await page.get_by_role("button", name="Create connection").click()
    await page.get_by_test_id("redirect-uri").wait_for()
    conn = await Connection.get(organization_id=org.id)
    assert conn.type is ConnectionType.OIDC
    shown = await page.get_by_test_id("redirect-uri").inner_text()
    assert shown.startswith(live_server)
    await page.get_by_role("button", name="Copy Redirect URI").click()
    assert await page.evaluate("navigator.clipboard.readText()") == shown
    await page.get_by_role("button", name="Activate", exact=True).click()
    await (
        page.get_by_test_id("connection-state")
        .filter(has_text="Waiting for a first sign-in")
        .wait_for()
    )
    assert (await Connection.get(id=conn.id)).state is ConnectionState.VALIDATING


async def test_generic_oidc_test_sign_in_makes_it_active(
    page, live_server, make_org, make_link, provider
):
    from gatehouse.models import Domain, DomainState, Organization

    org = await make_org("Acme Industries")
    await Domain.create(
        organization=org,
        domain="acme.com",
        verified_domain="acme.com",
        state=DomainState.VERIFIED,
        token="x",
    )
    await Organization.filter(id=org.id).update(jit_provisioning=True)
    await open_link(page, await make_link(org.id, ["SSO"]))
    await page.goto(f"{live_server}/portal/sso")
    await page.get_by_label("Generic OIDC").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Issuer URL").fill(provider.issuer)
    await page.get_by_label("Client ID").fill(provider.client_id)
    await page.get_by_label("Client secret").fill(provider.client_secret)
    await page.get_by_role("button", name="Create connection").click()
    await page.get_by_role("button", name="Activate", exact=True).click()
    await page.get_by_role("link", name="Test sign-in").click()
    await page.get_by_test_id("test-result").wait_for()
    assert await page.get_by_test_id("profile-email").inner_text() == "olivia@acme.com"
    conn = await Connection.get(organization_id=org.id)
    assert conn.state is ConnectionState.ACTIVE
