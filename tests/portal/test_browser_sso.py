"""SSO page in Chromium: pick the IdP, copy the SP values, upload IdP metadata, see the
certificate's expiry (warned 30 days ahead), activate. (The test sign-in is not built yet.)"""

from __future__ import annotations

from gatehouse.models import Connection, ConnectionState
from tests.portal.conftest import screenshot
from tests.sso.saml_idp import make_keypair


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
    await page.goto(await make_link(org.id, ["SSO"]))
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
