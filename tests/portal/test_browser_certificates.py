"""Acceptance: the CERTIFICATE_RENEWAL page shows the expiry and swaps the IdP certificate with
no failed sign-in. Real uvicorn, real Chromium, sign-ins posted to the live ACS."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event
from gatehouse.resolvers.sso import connections
from gatehouse.resolvers.sso.config import SamlIdp
from tests.portal.conftest import open_link, screenshot
from tests.sso.helpers import verified_domain
from tests.sso.saml_idp import Assertion, KeyPair, b64, make_keypair, signed

REDIRECT = "https://app.example.com/callback"


async def _sign_in(base: str, connection_id: str, keys: KeyPair) -> httpx.Response:
    """An SP-initiated sign-in, the IdP signing with `keys`."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        r = await http.get(
            "/sso/authorize", params={"connection": connection_id, "redirect_uri": REDIRECT}
        )
        assert r.status_code == 302, r.text
        request = parse_qs(urlsplit(r.headers["location"]).query)["SAMLRequest"][0]
        request_id = etree.fromstring(OneLogin_Saml2_Utils.decode_base64_and_inflate(request)).get(
            "ID"
        )
        acs = f"{base}/sso/saml/{connection_id}/acs"
        a = Assertion(
            destination=acs,
            audience=f"{base}/sso/saml/{connection_id}",
            recipient=acs,
            in_response_to=request_id,
        )
        return await http.post(acs, data={"SAMLResponse": b64(signed(a, keys))})


async def test_renewal_page_swaps_the_certificate_without_a_failed_sign_in(
    page, live_server, settings, make_org, make_link
):
    settings.redirect_uris = [REDIRECT]
    org = await make_org("Acme Industries")
    org.jit_provisioning = True
    await org.save()
    await verified_domain(org)
    old, new = make_keypair("Old IdP certificate", days=10), make_keypair("New IdP certificate")
    conn = await connections.create_saml_connection(
        operator_principal(),
        org.id,
        "Okta",
        idp=SamlIdp(
            entity_id="https://idp.test/metadata",
            sso_url="https://idp.test/sso",
            certificates=[old.cert_b64],
        ),
        secret_key=settings.secret_key,
    )
    await connections.activate_connection(operator_principal(), conn.id)
    assert (await _sign_in(live_server, conn.id, old)).status_code == 302

    # The admin opens the renewal link: the page shows the certificate and its expiry
    await open_link(page, await make_link(org.id, ["CERTIFICATE_RENEWAL"]))
    await page.get_by_role("link", name="Renew your SSO certificate").click()
    assert page.url == f"{live_server}/portal/certificates"
    expiry = page.get_by_test_id("expiry")
    await expiry.first.wait_for()
    assert (
        "in 9 days" in await expiry.first.inner_text()
        or "in 10 days" in await expiry.first.inner_text()
    )
    await screenshot(page, "certificate-expiring")

    # Adds the new certificate: both are accepted now
    await page.get_by_label("New certificate").fill(new.cert_pem.decode())
    await page.get_by_role("button", name="Add certificate").click()
    await page.get_by_test_id("certificate").nth(1).wait_for()
    assert await page.get_by_test_id("certificate").count() == 2
    assert (await _sign_in(live_server, conn.id, old)).status_code == 302
    assert (await _sign_in(live_server, conn.id, new)).status_code == 302
    await screenshot(page, "certificate-both")

    # Removes the old one once the IdP signs with the new one
    await page.get_by_role("button", name="Remove the certificate CN=Old IdP certificate").click()
    await page.get_by_role("status").filter(has_text="Old certificate removed").wait_for()
    assert await page.get_by_test_id("certificate").count() == 1
    assert (await _sign_in(live_server, conn.id, new)).status_code == 302

    # No sign-in failed along the way; the renewal is an event of the organization
    assert await Event.filter(type="authentication.sso_failed").count() == 0
    renewed = await Event.get(type="connection.saml_certificate_renewed")
    assert renewed.organization_id == org.id
    assert renewed.data["connection_id"] == conn.id
    # and the old certificate no longer opens anything
    assert (await _sign_in(live_server, conn.id, old)).status_code == 400
