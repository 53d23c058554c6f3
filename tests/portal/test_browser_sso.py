"""SSO page in Chromium: pick the IdP, copy the SP values, upload IdP metadata, see the
certificate's expiry (warned 30 days ahead), activate, test sign-in through a real IdP."""

from __future__ import annotations

import asyncio
import html
import socket

import pytest
from lxml import etree

from gatehouse.models import Connection, ConnectionState, Domain, DomainState, Organization
from tests.portal.conftest import open_link, screenshot
from tests.sso.saml_idp import Assertion, b64, make_keypair, signed


def metadata(cert_b64: str) -> str:
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="http://www.okta.com/exk-portal">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{cert_b64}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://acme.okta.com/app/exk-portal/sso/saml"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


async def test_sso_page_metadata_upload_and_activation(
    page, live_server, make_org, make_link, tmp_path
):
    org = await make_org("Acme Industries")
    await open_link(page, await make_link(org.id, ["SSO"]))
    await page.get_by_role("link", name="Set up single sign-on").click()
    assert page.url == f"{live_server}/portal/sso"
    # Pick the IdP
    await page.get_by_label("Okta").check()
    await page.get_by_role("button", name="Continue").click()
    # Okta's steps and the exact SP values to copy
    await page.get_by_test_id("acs-url").wait_for()
    conn = await Connection.get(organization_id=org.id)
    assert conn.name == "Okta"
    assert await page.get_by_test_id("acs-url").inner_text() == (
        f"{live_server}/sso/saml/{conn.id}/acs"
    )
    assert (
        await page.get_by_test_id("entity-id").inner_text() == f"{live_server}/sso/saml/{conn.id}"
    )
    assert "Okta Admin Console" in await page.locator(".instructions").inner_text()
    await page.get_by_role("button", name="Copy ACS URL").click()
    assert await page.evaluate("navigator.clipboard.readText()") == (
        f"{live_server}/sso/saml/{conn.id}/acs"
    )
    await screenshot(page, "sso-values")
    # Upload metadata whose certificate expires in 10 days: saved, and warned about
    file = tmp_path / "okta-metadata.xml"
    file.write_text(metadata(make_keypair("Okta Portal IdP", days=10).cert_b64))
    await page.get_by_label("IdP metadata XML file").set_input_files(str(file))
    await page.get_by_role("button", name="Upload metadata").click()
    warning = page.get_by_test_id("cert-warning")
    await warning.wait_for()
    assert "expires in" in await warning.inner_text()
    conn = await Connection.get(id=conn.id)
    assert conn.saml_idp_entity_id == "http://www.okta.com/exk-portal"
    assert conn.saml_idp_sso_url == "https://acme.okta.com/app/exk-portal/sso/saml"
    # Activate: an organization's admin moves it to VALIDATING until a first sign-in works
    await page.get_by_role("button", name="Activate", exact=True).click()
    await (
        page.get_by_test_id("connection-state")
        .filter(has_text="Waiting for a first sign-in")
        .wait_for()
    )
    assert (await Connection.get(id=conn.id)).state is ConnectionState.VALIDATING
    await screenshot(page, "sso-validating")


IDP_ENTITY = "http://idp.portal.test/metadata"


@pytest.fixture
async def saml_idp():
    """A real SAML IdP on 127.0.0.1:0: takes the AuthnRequest (HTTP-Redirect binding),
    shows a "Continue" button that POSTs a signed response to the ACS (HTTP-POST binding)."""
    import uvicorn
    from onelogin.saml2.utils import OneLogin_Saml2_Utils
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    keys = make_keypair("Portal Test IdP")
    signing = {"keys": keys}  # a test may swap in another key to see a refusal

    async def sso(request):
        xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(request.query_params["SAMLRequest"])
        authn = etree.fromstring(xml)
        acs = authn.get("AssertionConsumerServiceURL")
        answer = Assertion(
            destination=acs,
            audience=acs.removesuffix("/acs"),
            recipient=acs,
            in_response_to=authn.get("ID"),
            issuer=IDP_ENTITY,
        )
        response = b64(signed(answer, signing["keys"]))
        return HTMLResponse(
            f'<!doctype html><title>Test IdP</title><form method="post" action="{html.escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{response}">'
            "<p>Signed in as alice@acme.com</p><button>Continue</button></form>"
        )

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[Route("/sso", sso)]), lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield keys, f"http://127.0.0.1:{sock.getsockname()[1]}/sso", signing
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_sso_page_metadata_upload_test_sign_in_active(
    page, live_server, make_org, make_link, tmp_path, saml_idp
):
    keys, sso_url, _ = saml_idp
    # Given an organization that owns acme.com and admits new people on first sign-in
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
    await page.get_by_label("Generic SAML").check()
    await page.get_by_role("button", name="Continue").click()
    # When the admin uploads the IdP's metadata and activates
    file = tmp_path / "idp-metadata.xml"
    file.write_text(
        metadata(keys.cert_b64)
        .replace("http://www.okta.com/exk-portal", IDP_ENTITY)
        .replace("https://acme.okta.com/app/exk-portal/sso/saml", sso_url)
    )
    await page.get_by_label("IdP metadata XML file").set_input_files(str(file))
    await page.get_by_role("button", name="Upload metadata").click()
    await page.get_by_test_id("certificates").wait_for()
    await page.get_by_role("button", name="Activate", exact=True).click()
    # and runs a test sign-in through the real IdP and the real ACS
    await page.get_by_role("link", name="Test sign-in").click()
    await page.get_by_role("button", name="Continue").click()
    # Then the received profile is shown and the connection is active
    await page.get_by_test_id("test-result").wait_for()
    assert page.url.startswith(f"{live_server}/portal/sso/tested?")
    assert await page.get_by_test_id("profile-email").inner_text() == "alice@acme.com"
    assert await page.get_by_test_id("connection-state").inner_text() == "Active"
    conn = await Connection.get(organization_id=org.id)
    assert conn.state is ConnectionState.ACTIVE
    await screenshot(page, "sso-test-sign-in")
    # The result page cannot be replayed.
    await page.reload()
    assert "could not be checked" in await page.locator("h1").inner_text()


async def test_a_refused_test_sign_in_shows_the_precise_error(
    page, live_server, make_org, make_link, tmp_path, saml_idp
):
    keys, sso_url, signing = saml_idp
    org = await make_org("Acme Industries")
    await open_link(page, await make_link(org.id, ["SSO"]))
    await page.goto(f"{live_server}/portal/sso")
    await page.get_by_label("Generic SAML").check()
    await page.get_by_role("button", name="Continue").click()
    file = tmp_path / "idp-metadata.xml"
    file.write_text(
        metadata(keys.cert_b64)
        .replace("http://www.okta.com/exk-portal", IDP_ENTITY)
        .replace("https://acme.okta.com/app/exk-portal/sso/saml", sso_url)
    )
    await page.get_by_label("IdP metadata XML file").set_input_files(str(file))
    await page.get_by_role("button", name="Upload metadata").click()
    await page.get_by_test_id("certificates").wait_for()
    await page.get_by_role("button", name="Activate", exact=True).click()
    # When the IdP signs with a key other than the one in its metadata
    signing["keys"] = make_keypair("Someone else")
    await page.get_by_role("link", name="Test sign-in").click()
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_load_state()
    # Then the sign-in is refused, and the SSO page says why
    await page.goto(f"{live_server}/portal/sso")
    failure = page.get_by_test_id("last-failure")
    await failure.wait_for()
    text = await failure.inner_text()
    assert "failed" in text
    assert "Reason code" in text
    assert (await Connection.get(organization_id=org.id)).state is ConnectionState.VALIDATING
    # and the recorder's row names the outcome, the issuer and the NameID format, masked
    attempt = page.get_by_test_id("attempt-log").get_by_role("row").filter(has_text="Failed")
    await attempt.filter(has_text=IDP_ENTITY).wait_for()
    row = await attempt.inner_text()
    assert "nameid-format" in row
    assert "alice@acme.com" not in row
    await screenshot(page, "sso-test-refused")
