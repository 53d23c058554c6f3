"""Connection CRUD over GraphQL: SAML from metadata or fields, lifecycle events, scoping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import AuditEntry, Connection, ConnectionState, Event
from gatehouse.outbound import OutboundError, check_url
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.errors import DomainError
from gatehouse.resolvers.sso import connections
from tests.sso.helpers import BASE, CREATE_OIDC
from tests.sso.saml_idp import make_keypair

FIELDS = """connection { id name type state organization { id }
  saml { spEntityId acsUrl spMetadataUrl idpEntityId idpSsoUrl allowIdpInitiated
         idpCertificates { subject notAfter expired } } }
  userErrors { field code message }"""


def metadata(cert_b64: str) -> str:
    return f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
  entityID="http://www.okta.com/exk1"><md:IDPSSODescriptor
  protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
  </md:KeyDescriptor>
  <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
   Location="https://acme.okta.com/app/sso/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>"""


async def _create(gql, token, i):
    body = await gql(
        "mutation($i: CreateSamlConnectionInput!) "
        f"{{ createSamlConnection(input: $i) {{ {FIELDS} }} }}",
        {"i": i},
        token=token,
    )
    return body["data"]["createSamlConnection"]


async def _act(gql, token, name, conn_id):
    body = await gql(
        f"mutation($i: ConnectionInput!) {{ {name}(input: $i) "
        "{ connection { id state } userErrors { code } } }",
        {"i": {"connectionId": conn_id}},
        token=token,
    )
    return body["data"][name]


async def test_create_saml_from_metadata_shows_sp_values(gql, operator_token, make_org, idp_keys):
    org = await make_org("Acme")
    payload = await _create(
        gql,
        operator_token,
        {"organizationId": org.id, "name": "Okta", "metadataXml": metadata(idp_keys.cert_b64)},
    )
    assert payload["userErrors"] == []
    c = payload["connection"]
    assert (c["type"], c["state"]) == ("SAML", "DRAFT")
    assert c["saml"]["spEntityId"] == f"{BASE}/sso/saml/{c['id']}"
    assert c["saml"]["acsUrl"] == f"{BASE}/sso/saml/{c['id']}/acs"
    assert c["saml"]["spMetadataUrl"] == f"{BASE}/sso/saml/{c['id']}/metadata"
    assert c["saml"]["idpEntityId"] == "http://www.okta.com/exk1"
    assert c["saml"]["idpSsoUrl"] == "https://acme.okta.com/app/sso/saml"
    assert c["saml"]["idpCertificates"][0]["expired"] is False
    assert c["saml"]["idpCertificates"][0]["notAfter"]


async def test_metadata_with_doctype_or_bad_certificate_refused(gql, operator_token, make_org):
    org = await make_org("Acme")
    bad_meta = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + metadata("AAAA")
    payload = await _create(
        gql, operator_token, {"organizationId": org.id, "name": "x", "metadataXml": bad_meta}
    )
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID_SAML_METADATA"]
    payload = await _create(
        gql,
        operator_token,
        {"organizationId": org.id, "name": "x", "idpCertificates": ["not a cert"]},
    )
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID_CERTIFICATE"]
    assert payload["userErrors"][0]["field"] == ["certificates", "0"]
    assert await Connection.all().count() == 0


async def test_lifecycle_events(gql, operator_token, make_org, idp_keys):
    org = await make_org("Acme")
    c = (await _create(gql, operator_token, {"organizationId": org.id, "name": "x"}))["connection"]
    # incomplete: cannot activate
    assert [
        e["code"]
        for e in (await _act(gql, operator_token, "activateConnection", c["id"]))["userErrors"]
    ] == ["CONNECTION_INCOMPLETE"]
    body = await gql(
        """mutation($i: UpdateConnectionInput!) { updateConnection(input: $i) {
             connection { name saml { idpCertificates { subject } } } userErrors { code } } }""",
        {
            "i": {
                "connectionId": c["id"],
                "name": "Okta",
                "idpEntityId": "https://idp.test",
                "idpSsoUrl": "https://idp.test/sso",
                "idpCertificates": [idp_keys.cert_b64, make_keypair("New").cert_b64],
            }
        },
        token=operator_token,
    )
    assert body["data"]["updateConnection"]["connection"]["name"] == "Okta"
    assert len(body["data"]["updateConnection"]["connection"]["saml"]["idpCertificates"]) == 2

    assert (await _act(gql, operator_token, "activateConnection", c["id"]))["connection"][
        "state"
    ] == "ACTIVE"
    assert [
        e["code"]
        for e in (await _act(gql, operator_token, "activateConnection", c["id"]))["userErrors"]
    ] == ["ALREADY_ACTIVE"]
    assert (await _act(gql, operator_token, "deactivateConnection", c["id"]))["connection"][
        "state"
    ] == "INACTIVE"
    body = await gql(
        "mutation($i: ConnectionInput!) "
        "{ deleteConnection(input: $i) { deletedId userErrors { code } } }",
        {"i": {"connectionId": c["id"]}},
        token=operator_token,
    )
    assert body["data"]["deleteConnection"]["deletedId"] == c["id"]
    types = [e.type for e in await Event.filter(type__startswith="connection.").order_by("id")]
    assert types == [
        "connection.created",
        "connection.updated",
        "connection.activated",
        "connection.deactivated",
        "connection.deleted",
    ]
    assert await Connection.all().count() == 0


UPDATE = """mutation($i: UpdateConnectionInput!) { updateConnection(input: $i) {
  connection { saml { allowIdpInitiated } } userErrors { field code } } }"""


async def test_a_settings_change_is_an_event_and_null_is_not_off(
    gql, operator_token, make_org, idp_keys
):
    org = await make_org("Acme")
    created = await _create(
        gql,
        operator_token,
        {"organizationId": org.id, "name": "Okta", "metadataXml": metadata(idp_keys.cert_b64)},
    )
    conn_id = created["connection"]["id"]
    # when an admin turns on IdP-initiated sign-in
    body = await gql(
        UPDATE, {"i": {"connectionId": conn_id, "allowIdpInitiated": True}}, token=operator_token
    )
    assert body["data"]["updateConnection"] == {
        "connection": {"saml": {"allowIdpInitiated": True}},
        "userErrors": [],
    }
    # then the change is an event (and so an audit entry) naming the setting, not its value
    [event] = await Event.filter(type="connection.updated")
    assert event.data["id"] == conn_id
    assert event.data["changed"] == ["saml_allow_idp_initiated"]
    assert await AuditEntry.filter(event_id=event.id, action="connection.updated").exists()

    # when a client sends null for the flag, it is refused (Strawberry's Maybe[bool] takes
    # no null), not read as false
    body = await gql(
        UPDATE, {"i": {"connectionId": conn_id, "allowIdpInitiated": None}}, token=operator_token
    )
    assert body["data"] is None
    assert "found null" in body["errors"][0]["message"]
    assert (await Connection.get(id=conn_id)).saml_allow_idp_initiated is True
    # and setting what is already set records nothing
    body = await gql(
        UPDATE, {"i": {"connectionId": conn_id, "allowIdpInitiated": True}}, token=operator_token
    )
    assert body["data"]["updateConnection"]["userErrors"] == []
    assert await Event.filter(type="connection.updated").count() == 1


async def test_other_organization_cannot_see_or_change(gql, make_org, idp_keys):
    acme, other = await make_org("Acme"), await make_org("Other")
    from tests.sso.helpers import saml_connection

    conn = await saml_connection(acme, [idp_keys])
    _, key = await api_keys.create_api_key(
        operator_principal(),
        "o",
        organization_id=other.id,
        scopes=["connections:read", "connections:write", "organizations:read"],
    )
    body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": conn.id}, token=key)
    assert body["data"]["node"] is None
    for name in ("deactivateConnection", "deleteConnection"):
        body = await gql(
            f"mutation($i: ConnectionInput!) {{ {name}(input: $i) {{ userErrors {{ code }} }} }}",
            {"i": {"connectionId": conn.id}},
            token=key,
        )
        assert body["data"][name]["userErrors"] == [{"code": "NOT_FOUND"}]
    await conn.refresh_from_db()
    assert conn.state is ConnectionState.ACTIVE
    # the creation and the activation, nothing after
    assert await Event.filter(type__startswith="connection.").count() == 2


async def test_organization_connections_batch(
    gql, operator_token, make_org, idp_keys, count_queries
):
    from tests.sso.helpers import saml_connection

    for i in range(2):
        await saml_connection(await make_org(f"Org {i}"), [idp_keys])
    query = (
        "{ organizations(first: 50) { edges { node {"
        " connections { id state saml { acsUrl } } } } } }"
    )
    await gql("{ viewer { kind } }", token=operator_token)  # the key's last-used write, once
    with count_queries() as few:
        body = await gql(query, token=operator_token)
    for i in range(2, 6):
        await saml_connection(await make_org(f"Org {i}"), [idp_keys])
    with count_queries() as many:
        body = await gql(query, token=operator_token)
    edges = body["data"]["organizations"]["edges"]
    assert all(len(e["node"]["connections"]) == 1 for e in edges)
    assert many.count == few.count


async def test_saml_from_metadata_url_and_refresh(
    gql, operator_token, make_org, provider, idp_keys
):
    # given the IdP publishes its metadata at a URL
    org = await make_org("Acme")
    provider.saml_metadata = metadata(idp_keys.cert_b64)
    url = f"{provider.issuer}/saml/metadata"
    payload = await _create(
        gql, operator_token, {"organizationId": org.id, "name": "Okta", "metadataUrl": url}
    )
    assert payload["userErrors"] == []
    conn_id = payload["connection"]["id"]
    assert payload["connection"]["saml"]["idpEntityId"] == "http://www.okta.com/exk1"
    assert len(payload["connection"]["saml"]["idpCertificates"]) == 1

    # when the IdP rotates its certificate and the connection is refreshed
    new = make_keypair("Rotated")
    provider.saml_metadata = metadata(new.cert_b64)
    body = await gql(
        "mutation($i: ConnectionInput!) { refreshConnectionMetadata(input: $i) {"
        " connection { saml { idpCertificates { subject } } } userErrors { code } } }",
        {"i": {"connectionId": conn_id}},
        token=operator_token,
    )
    certs = body["data"]["refreshConnectionMetadata"]["connection"]["saml"]["idpCertificates"]
    assert certs == [{"subject": "CN=Rotated"}]


async def _from_metadata_url(make_org, provider, idp_keys) -> Connection:
    """A SAML connection created from the IdP's metadata URL (just read)."""
    provider.saml_metadata = metadata(idp_keys.cert_b64)
    return await connections.create_saml_connection(
        operator_principal(),
        (await make_org("Acme")).id,
        "Okta",
        metadata_url=f"{provider.issuer}/saml/metadata",
        allow_private_urls=True,
    )


async def test_the_daily_job_picks_up_a_rotated_certificate_once(make_org, provider, idp_keys):
    # given a connection created from a metadata URL a day ago, and one created just now
    provider.saml_metadata = metadata(idp_keys.cert_b64)
    url = f"{provider.issuer}/saml/metadata"
    stale, fresh = [
        await connections.create_saml_connection(
            operator_principal(),
            (await make_org(name)).id,
            name,
            metadata_url=url,
            allow_private_urls=True,
        )
        for name in ("Stale", "Fresh")
    ]
    at = datetime.now(UTC)
    await Connection.filter(id=stale.id).update(saml_metadata_refreshed_at=at - timedelta(days=1))
    provider.saml_metadata = metadata(make_keypair("Rotated").cert_b64)
    fetches = provider.saml_metadata_fetches

    # when two processes run the job at the same moment
    rounds = await asyncio.gather(
        *(
            connections.refresh_due_metadata(at, timedelta(days=1), allow_private_urls=True)
            for _ in range(2)
        )
    )

    # then the stale one was re-read once and has the new certificate; the fresh one was not
    assert sorted(rounds) == [0, 1]
    assert provider.saml_metadata_fetches == fetches + 1
    await stale.refresh_from_db()
    await fresh.refresh_from_db()
    assert [c["subject"] for c in stale.saml_idp_certificates] == ["CN=Rotated"]
    assert [c["subject"] for c in fresh.saml_idp_certificates] != ["CN=Rotated"]
    assert stale.saml_metadata_refreshed_at >= at


async def test_settings_edited_by_hand_are_not_undone_by_the_daily_job(
    make_org, provider, idp_keys
):
    # given a connection created from a metadata URL, whose admin then rotates by hand
    conn = await _from_metadata_url(make_org, provider, idp_keys)
    manual = make_keypair("By hand")
    await connections.update_connection(
        operator_principal(), conn.id, certificates=[manual.cert_pem.decode()]
    )

    # when the IdP's published metadata changes and the daily job runs
    provider.saml_metadata = metadata(make_keypair("Published").cert_b64)
    later = datetime.now(UTC) + timedelta(days=2)
    refreshed = await connections.refresh_due_metadata(
        later, timedelta(days=1), allow_private_urls=True
    )

    # then the hand-edited settings stay
    await conn.refresh_from_db()
    assert refreshed == 0
    assert conn.saml_metadata_url is None
    assert [c["subject"] for c in conn.saml_idp_certificates] == ["CN=By hand"]


async def test_the_daily_job_keeps_working_settings_when_the_idp_serves_garbage(
    make_org, provider, idp_keys
):
    conn = await _from_metadata_url(make_org, provider, idp_keys)
    before = conn.saml_idp_certificates
    provider.saml_metadata = "<not metadata"
    later = datetime.now(UTC) + timedelta(days=2)
    assert (
        await connections.refresh_due_metadata(later, timedelta(days=1), allow_private_urls=True)
        == 0
    )
    await conn.refresh_from_db()
    assert conn.saml_idp_certificates == before
    assert conn.saml_metadata_refreshed_at == later  # tried; next attempt a day later


async def test_the_daily_job_stops_between_connections_when_asked(make_org, provider, idp_keys):
    await _from_metadata_url(make_org, provider, idp_keys)
    fetches = provider.saml_metadata_fetches
    later = datetime.now(UTC) + timedelta(days=2)
    refreshed = await connections.refresh_due_metadata(
        later, timedelta(days=1), allow_private_urls=True, stopping=lambda: True
    )
    assert (refreshed, provider.saml_metadata_fetches) == (0, fetches)


async def test_customer_urls_refuse_private_addresses(make_org, provider, idp_keys):
    # SECURITY 13d: without the deployment's explicit allowance, loopback is refused
    org = await make_org("Acme")
    provider.saml_metadata = metadata(idp_keys.cert_b64)
    with pytest.raises(DomainError) as saml_refused:
        await connections.create_saml_connection(
            operator_principal(), org.id, "x", metadata_url=f"{provider.issuer}/saml/metadata"
        )
    with pytest.raises(DomainError) as oidc_refused:
        await connections.create_oidc_connection(
            operator_principal(),
            org.id,
            "x",
            issuer=provider.issuer,
            client_id="c",
            client_secret="s",
            secret_key="k",
        )
    assert saml_refused.value.errors[0].code.value == "METADATA_FETCH_FAILED"
    assert oidc_refused.value.errors[0].code.value == "DISCOVERY_FAILED"
    assert await Connection.all().count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://10.0.0.5/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://[2002:a00:5::]/x",  # 6to4 for 10.0.0.5
        "https://[fec0::1]/x",  # site-local
        "https://localhost/x",
        "https://user:pw@example.com/x",
        "http://example.com/x",
        "file:///etc/passwd",
    ],
)
async def test_outbound_guard(url):
    with pytest.raises(OutboundError):
        await check_url(url, allow_private=False)


def _long_metadata(cert_b64: str, *, entity_id: str | None = None, name_id: str | None = None):
    text = metadata(cert_b64)
    if entity_id is not None:
        text = text.replace("http://www.okta.com/exk1", entity_id)
    if name_id is not None:
        text = text.replace("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", name_id)
    return text


# Each once failed Tortoise's length check (INTERNAL) instead of answering a userError.
@pytest.mark.parametrize(
    ("case", "code", "field"),
    [
        ("entity_id_field", "TOO_LONG", ["idpEntityId"]),
        ("entity_id_metadata", "TOO_LONG", ["metadataXml"]),
        ("name_id_format_metadata", "TOO_LONG", ["metadataXml"]),
    ],
)
async def test_idp_values_longer_than_kept_are_refused(
    gql, operator_token, make_org, idp_keys, case, code, field
):
    org = await make_org("Acme")
    i: dict = {"organizationId": org.id, "name": "Okta"}
    if case == "entity_id_field":
        i |= {
            "idpEntityId": "https://idp.test/" + "e" * 1100,
            "idpSsoUrl": "https://idp.test/sso",
            "idpCertificates": [idp_keys.cert_b64],
        }
    elif case == "entity_id_metadata":
        i["metadataXml"] = _long_metadata(idp_keys.cert_b64, entity_id="urn:" + "e" * 1100)
    else:
        i["metadataXml"] = _long_metadata(idp_keys.cert_b64, name_id="urn:" + "n" * 300)
    payload = await _create(gql, operator_token, i)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert await Connection.all().count() == 0


async def test_an_oidc_client_id_longer_than_kept_is_refused(gql, operator_token, make_org):
    org = await make_org("Acme")
    body = await gql(
        CREATE_OIDC,
        {
            "i": {
                "organizationId": org.id,
                "name": "Okta",
                "issuer": "https://idp.test",
                "clientId": "c" * 600,
                "clientSecret": "s",
            }
        },
        token=operator_token,
    )
    errors = body["data"]["createOidcConnection"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("TOO_LONG", ["clientId"])]
    assert await Connection.all().count() == 0


async def test_a_metadata_url_is_kept_as_checked_and_a_refresh_checks_what_it_reads(
    make_org, provider, idp_keys
):
    # The URL is checked stripped and was stored raw: 2,040 characters and 50 spaces failed.
    padded = f"{provider.issuer}/saml/metadata" + " " * 50
    provider.saml_metadata = metadata(idp_keys.cert_b64)
    conn = await connections.create_saml_connection(
        operator_principal(),
        (await make_org("Acme")).id,
        "Okta",
        metadata_url=padded,
        allow_private_urls=True,
    )
    assert conn.saml_metadata_url == padded.strip()
    # when the IdP's metadata comes to name an SSO URL no column holds, the refresh refuses it
    # and the settings that work stay
    provider.saml_metadata = metadata(idp_keys.cert_b64).replace(
        "https://acme.okta.com/app/sso/saml", "https://acme.okta.com/" + "s" * 2100
    )
    with pytest.raises(DomainError) as refused:
        await connections.refresh_saml_metadata(
            operator_principal(), conn.id, allow_private_urls=True
        )
    assert refused.value.errors[0].code.value == "INVALID_URL"
    await conn.refresh_from_db()
    assert conn.saml_idp_sso_url == "https://acme.okta.com/app/sso/saml"


async def test_a_refresh_is_not_blocked_by_a_name_id_format_it_does_not_store(
    make_org, provider, idp_keys
):
    conn = await _from_metadata_url(make_org, provider, idp_keys)
    rotated = make_keypair("Rotated")
    provider.saml_metadata = _long_metadata(rotated.cert_b64, name_id="urn:" + "n" * 300)
    conn = await connections.refresh_saml_metadata(
        operator_principal(), conn.id, allow_private_urls=True
    )
    assert [c["certificate"] for c in conn.saml_idp_certificates] == [rotated.cert_b64]
