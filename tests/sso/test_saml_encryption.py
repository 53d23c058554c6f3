"""Encrypted assertions, Response-only signatures, signed AuthnRequests and urn:oid attributes,
against the xmlsec test IdP (tests/sso/saml_idp.py). The same against pysaml2, an independent
implementation, is tests/sso/test_saml_pysaml2.py."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Connection, Event, SsoCode
from gatehouse.resolvers.sso import connections, sp_keys
from tests.sso.helpers import (
    REDIRECT,
    assert_refused,
    assertion_for,
    counts,
    post_acs,
    saml_connection,
    start_saml,
    verified_domain,
)
from tests.sso.saml_idp import (
    encrypt_assertion,
    make_keypair,
    signed,
    sp_certificates,
    verify_redirect_signature,
)


@pytest.fixture
async def conn(make_org, idp_keys):
    org = await make_org("Acme")
    org.jit_provisioning = True
    await org.save()
    await verified_domain(org)
    return await saml_connection(org, [idp_keys])


async def _metadata(client, conn) -> str:
    r = await client.get(f"/sso/saml/{conn.id}/metadata")
    assert r.status_code == 200, r.text
    return r.text


async def _encryption_cert(client, conn) -> str:
    return sp_certificates(await _metadata(client, conn), "encryption")[0]


async def _profile() -> dict:
    """The profile the sign-in handed over (kept with its one-time code)."""
    code = await SsoCode.all().order_by("-created_at").first()
    assert code is not None
    return code.profile


async def _signed_in(r) -> None:
    assert r.status_code == 302, r.text
    assert r.headers["location"].startswith(REDIRECT + "?code=")


@pytest.mark.parametrize("cipher", ["aes256-gcm", "aes128-gcm", "aes256-cbc", "aes128-cbc"])
async def test_encrypted_assertion_signs_in(client, conn, idp_keys, cipher):
    # the IdP reads the SP's encryption certificate from its metadata, as IdPs do
    cert = await _encryption_cert(client, conn)
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    xml = encrypt_assertion(signed(a, idp_keys), cert, cipher=cipher)
    assert b"EncryptedAssertion" in xml
    assert b"alice@acme.com" not in xml
    await _signed_in(await post_acs(client, conn, xml))
    assert (await _profile())["email"] == "alice@acme.com"


async def test_encrypted_assertion_inside_a_signed_response(client, conn, idp_keys):
    # Keycloak-style: the assertion unsigned, encrypted; the Response signed over it all
    cert = await _encryption_cert(client, conn)
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    inner = signed(a, idp_keys, sign_assertion=False)
    from lxml import etree

    from tests.sso.saml_idp import sign_element

    root = etree.fromstring(encrypt_assertion(inner, cert))
    sign_element(root, root, idp_keys)
    await _signed_in(await post_acs(client, conn, etree.tostring(root)))


async def test_response_only_signature_signs_in(client, conn, idp_keys):
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    xml = signed(a, idp_keys, sign_assertion=False, sign_response=True)
    await _signed_in(await post_acs(client, conn, xml))


async def _refused(client, conn, xml: bytes, reason: str) -> None:
    before = await counts()
    r = await post_acs(client, conn, xml)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == reason, r.text
    await assert_refused(before, reason)
    event = await Event.filter(type="authentication.sso_failed").order_by("-id").first()
    assert event is not None
    assert event.organization_id == conn.organization_id
    assert event.data["connection_id"] == conn.id


async def test_assertion_encrypted_to_another_key_is_a_400(client, conn, idp_keys):
    stranger = make_keypair("Not this SP")
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    xml = encrypt_assertion(signed(a, idp_keys), stranger.cert_b64)
    await _refused(client, conn, xml, "decryption_failed")


async def test_encrypted_assertion_without_its_key_is_a_400(client, conn, idp_keys):
    from lxml import etree

    cert = await _encryption_cert(client, conn)
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    root = etree.fromstring(encrypt_assertion(signed(a, idp_keys), cert))
    for key in root.iter("{http://www.w3.org/2001/04/xmlenc#}EncryptedKey"):
        key.getparent().remove(key)
    await _refused(client, conn, etree.tostring(root), "decryption_failed")


async def test_rsa_1_5_key_transport_is_refused(client, conn, idp_keys):
    cert = await _encryption_cert(client, conn)
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    xml = encrypt_assertion(signed(a, idp_keys), cert, key_transport="rsa-1_5")
    await _refused(client, conn, xml, "unsupported_encryption_algorithm")


async def test_encrypted_but_unsigned_assertion_is_refused(client, conn, idp_keys):
    # anyone can encrypt to the SP's public certificate: encryption is no signature
    from tests.sso.saml_idp import build

    cert = await _encryption_cert(client, conn)
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    await _refused(client, conn, encrypt_assertion(build(a), cert), "unsigned_response")


async def test_sp_key_rotation_overlaps(client, conn, idp_keys, settings):
    old = await _encryption_cert(client, conn)
    # when the SP key is rotated, both certificates are published and both decrypt
    await sp_keys.rotate_sp_key(operator_principal(), conn.id, settings.secret_key)
    metadata = await _metadata(client, conn)
    assert sp_certificates(metadata, "encryption")[0] == old
    new = sp_certificates(metadata, "encryption")[1]
    assert sp_certificates(metadata, "signing") == [old, new]
    for cert in (old, new):
        a = assertion_for(conn, in_response_to=await start_saml(client, conn))
        await _signed_in(await post_acs(client, conn, encrypt_assertion(signed(a, idp_keys), cert)))
    # once the old one is retired, only the new one decrypts
    await sp_keys.retire_sp_key(operator_principal(), conn.id)
    assert sp_certificates(await _metadata(client, conn), "encryption") == [new]
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    await _refused(client, conn, encrypt_assertion(signed(a, idp_keys), old), "decryption_failed")
    assert await Event.filter(type="connection.saml_sp_key_rotated").count() == 1
    assert await Event.filter(type="connection.saml_sp_key_retired").count() == 1


async def test_sp_keys_are_per_connection_and_stored_encrypted(
    client, make_org, idp_keys, gql, operator_token
):
    # created through the API: the key exists at once
    body = await gql(
        """mutation($i: CreateSamlConnectionInput!) { createSamlConnection(input: $i) {
           connection { id saml { signAuthnRequests spCertificates { certificate signing } } }
           userErrors { code } } }""",
        {"i": {"organizationId": (await make_org("A")).id, "name": "A", "signAuthnRequests": True}},
        token=operator_token,
    )
    a = body["data"]["createSamlConnection"]["connection"]
    assert a["saml"]["signAuthnRequests"] is True
    assert len(a["saml"]["spCertificates"]) == 1
    assert a["saml"]["spCertificates"][0]["signing"] is True
    row = await Connection.get(id=a["id"])
    stored = row.saml_sp_keys[0]
    assert "PRIVATE KEY" not in str(stored)
    assert stored["private_key"].startswith("v1.")
    # another connection has another key
    other = await saml_connection(await make_org("B"), [idp_keys])
    assert await _encryption_cert(client, other) != a["saml"]["spCertificates"][0]["certificate"]


async def test_signed_authn_request_verifies_with_the_published_key(client, conn):
    await connections.update_connection(operator_principal(), conn.id, sign_authn_requests=True)
    metadata = await _metadata(client, conn)
    assert 'AuthnRequestsSigned="true"' in metadata
    r = await client.get(
        "/sso/authorize", params={"connection": conn.id, "redirect_uri": REDIRECT, "state": "s"}
    )
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert "Signature=" in location
    assert "SigAlg=" in location
    # the IdP checks it with the signing certificate from the SP metadata
    verify_redirect_signature(location, sp_certificates(metadata, "signing")[0])
    # and a tampered request fails that check
    with pytest.raises(InvalidSignature):
        verify_redirect_signature(
            location.replace("RelayState=", "RelayState=x"), sp_certificates(metadata, "signing")[0]
        )
    # unsigned when the connection does not ask for it
    await connections.update_connection(operator_principal(), conn.id, sign_authn_requests=False)
    r = await client.get("/sso/authorize", params={"connection": conn.id, "redirect_uri": REDIRECT})
    assert "Signature=" not in r.headers["location"]


async def test_urn_oid_attributes_fill_email_and_names(client, conn, idp_keys):
    a = assertion_for(
        conn,
        in_response_to=await start_saml(client, conn),
        name_id="a7f3-opaque-id",
        attributes={
            "urn:oid:0.9.2342.19200300.100.1.3": "alice@acme.com",
            "urn:oid:2.5.4.42": "Alice",
            "urn:oid:2.5.4.4": "Liddell",
            "urn:oid:1.2.840.113556.1.2.102": "engineering",
        },
    )
    await _signed_in(await post_acs(client, conn, signed(a, idp_keys)))
    assert (await _profile())["email"] == "alice@acme.com"
    profile = await _profile()
    assert profile["email"] == "alice@acme.com"
    assert (profile["first_name"], profile["last_name"]) == ("Alice", "Liddell")
    assert profile["groups"] == ["engineering"]


async def test_edu_person_principal_name_is_the_email_when_nothing_better(client, conn, idp_keys):
    a = assertion_for(
        conn,
        in_response_to=await start_saml(client, conn),
        name_id="opaque",
        attributes={"urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "alice@acme.com"},
    )
    await _signed_in(await post_acs(client, conn, signed(a, idp_keys)))
    assert (await _profile())["email"] == "alice@acme.com"


async def test_a_key_that_no_longer_decrypts_is_a_reason_not_a_500(client, conn, idp_keys):
    # e.g. GATEHOUSE_SECRET_KEY was changed: the stored private key cannot be opened
    cert = await _encryption_cert(client, conn)
    row = await Connection.get(id=conn.id)
    row.saml_sp_keys = [{**row.saml_sp_keys[0], "private_key": "v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]
    await row.save()
    a = assertion_for(conn, in_response_to=await start_saml(client, conn))
    await _refused(client, conn, encrypt_assertion(signed(a, idp_keys), cert), "no_decryption_key")
