"""Interoperability with pysaml2 as the IdP: an implementation nobody here wrote signs,
encrypts and reads our metadata. Signed AuthnRequests verify there; its encrypted assertions,
with attributes under their urn:oid names, sign in without any attribute mapping."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, SsoCode
from gatehouse.resolvers.sso import connections
from tests.sso.helpers import BASE, REDIRECT, assert_refused, counts, post_acs, verified_domain

pytest.importorskip("saml2")
from tests.sso.pysaml2_idp import XMLSEC1, Pysaml2Idp, workdir

pytestmark = pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is missing (.ci/run installs it)")

IDENTITY = {"mail": ["alice@acme.com"], "givenName": ["Alice"], "sn": ["Liddell"]}


@pytest.fixture
def idp() -> Pysaml2Idp:
    return Pysaml2Idp(workdir())


@pytest.fixture
async def conn(make_org, idp, client):
    org = await make_org("Acme")
    org.jit_provisioning = True
    await org.save()
    await verified_domain(org)
    # the admin pastes pysaml2's metadata into Gatehouse ...
    c = await connections.create_saml_connection(
        operator_principal(), org.id, "pysaml2", metadata_xml=idp.metadata_xml()
    )
    c = await connections.activate_connection(operator_principal(), c.id)
    await connections.update_connection(operator_principal(), c.id, sign_authn_requests=True)
    # ... and Gatehouse's SP metadata into pysaml2
    r = await client.get(f"/sso/saml/{c.id}/metadata")
    assert r.status_code == 200
    idp.trust_sp(r.text)
    return c


async def _start(client, conn) -> str:
    r = await client.get(
        "/sso/authorize", params={"connection": conn.id, "redirect_uri": REDIRECT, "state": "s"}
    )
    assert r.status_code == 302, r.text
    return r.headers["location"]


def _respond(idp, conn, request_id, **kw) -> bytes:
    return idp.respond(
        in_response_to=request_id,
        acs_url=f"{BASE}/sso/saml/{conn.id}/acs",
        sp_entity_id=f"{BASE}/sso/saml/{conn.id}",
        identity=IDENTITY,
        **kw,
    )


async def test_signed_authn_request_verifies_at_pysaml2(client, conn, idp):
    location = await _start(client, conn)
    assert location.startswith("https://pysaml2-idp.test/sso?")
    assert "Signature" in parse_qs(urlsplit(location).query)
    request = idp.parse_request(location)
    assert request.signature_verified
    # a request altered on the way fails pysaml2's check
    with pytest.raises(Exception):  # noqa: B017 - pysaml2 raises its own types
        idp.parse_request(location.replace("RelayState=", "RelayState=x"))


@pytest.mark.parametrize(
    "cipher",
    [
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
        "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
        "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    ],
)
async def test_encrypted_assertion_from_pysaml2_signs_in(client, conn, idp, cipher):
    request = idp.parse_request(await _start(client, conn))
    xml = _respond(idp, conn, request.id, encrypt=True, cipher=cipher)
    assert b"EncryptedAssertion" in xml
    assert b"alice@acme.com" not in xml
    r = await post_acs(client, conn, xml)
    assert r.status_code == 302, r.text
    assert r.headers["location"].startswith(REDIRECT + "?code=")
    # urn:oid names, no mapping configured
    code = await SsoCode.all().order_by("-created_at").first()
    assert code is not None
    assert code.profile["email"] == "alice@acme.com"
    assert (code.profile["first_name"], code.profile["last_name"]) == ("Alice", "Liddell")
    assert "urn:oid:0.9.2342.19200300.100.1.3" in code.profile["raw_attributes"]


async def test_plain_signed_response_from_pysaml2_signs_in(client, conn, idp):
    request = idp.parse_request(await _start(client, conn))
    xml = _respond(idp, conn, request.id, sign_assertion=False, sign_response=True)
    r = await post_acs(client, conn, xml)
    assert r.status_code == 302, r.text


async def test_pysaml2_default_triple_des_is_refused_with_its_reason(client, conn, idp):
    from saml2.sigver import TRIPLE_DES_CBC

    request = idp.parse_request(await _start(client, conn))
    xml = _respond(idp, conn, request.id, encrypt=True, cipher=TRIPLE_DES_CBC)
    before = await counts()
    r = await post_acs(client, conn, xml)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "unsupported_encryption_algorithm"
    await assert_refused(before, "unsupported_encryption_algorithm")
    event = await Event.filter(type="authentication.sso_failed").order_by("-id").first()
    assert event is not None
    assert event.organization_id == conn.organization_id


async def test_encrypted_for_another_sp_is_refused(client, conn, idp, make_org):
    # pysaml2 encrypts for the SP named in the response: another connection's key
    other = await connections.create_saml_connection(
        operator_principal(), (await make_org("Other")).id, "o", metadata_xml=idp.metadata_xml()
    )
    idp.trust_sp((await client.get(f"/sso/saml/{other.id}/metadata")).text)
    request = idp.parse_request(await _start(client, conn))
    xml = idp.respond(
        in_response_to=request.id,
        acs_url=f"{BASE}/sso/saml/{conn.id}/acs",
        sp_entity_id=f"{BASE}/sso/saml/{other.id}",
        identity=IDENTITY,
        encrypt=True,
    )
    before = await counts()
    r = await post_acs(client, conn, xml)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "decryption_failed"
    await assert_refused(before, "decryption_failed")
