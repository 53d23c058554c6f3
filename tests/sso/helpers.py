"""Helpers for the SSO tests: connections, the SP-initiated start, ACS posts, and the
counts a refused sign-in must leave unchanged."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from prometheus_client import REGISTRY

from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    Connection,
    Domain,
    DomainState,
    Event,
    LinkedIdentity,
    Member,
    SsoCode,
    User,
)
from gatehouse.resolvers.sso import connections
from gatehouse.resolvers.sso.config import SamlIdp
from tests.sso.saml_idp import Assertion, KeyPair, b64

BASE = "https://gatehouse.test"
REDIRECT = "https://app.example.com/callback"


async def verified_domain(org: Any, domain: str = "acme.com") -> Domain:
    return await Domain.create(
        organization=org,
        domain=domain,
        verified_domain=domain,
        state=DomainState.VERIFIED,
        token="x",
    )


async def saml_connection(
    org: Any,
    keys: list[KeyPair],
    *,
    allow_idp_initiated: bool = False,
    activate: bool = True,
    allow_sha1: bool = False,
) -> Connection:
    conn = await connections.create_saml_connection(
        operator_principal(),
        org.id,
        "Test IdP",
        idp=SamlIdp(
            entity_id="https://idp.test/metadata",
            sso_url="https://idp.test/sso",
            certificates=[k.cert_b64 for k in keys],
        ),
        allow_idp_initiated=allow_idp_initiated,
        allow_sha1=allow_sha1,
    )
    if activate:
        conn = await connections.activate_connection(operator_principal(), conn.id)
    return conn


CREATE_OIDC = """mutation($i: CreateOidcConnectionInput!) { createOidcConnection(input: $i) {
  connection { id type state oidc { issuer clientId redirectUri scopes } }
  userErrors { field code message } } }"""


async def oidc_connection(gql: Any, operator_token: str, org: Any, provider: Any) -> Connection:
    """An ACTIVE OIDC connection to the test provider, made through GraphQL."""
    body = await gql(
        CREATE_OIDC,
        {
            "i": {
                "organizationId": org.id,
                "name": "Okta",
                "issuer": provider.issuer,
                "clientId": provider.client_id,
                "clientSecret": provider.client_secret,
            }
        },
        token=operator_token,
    )
    payload = body["data"]["createOidcConnection"]
    assert payload["userErrors"] == [], payload
    conn_id = payload["connection"]["id"]
    body = await gql(
        "mutation($i: ConnectionInput!) { activateConnection(input: $i) "
        "{ connection { state } userErrors { code } } }",
        {"i": {"connectionId": conn_id}},
        token=operator_token,
    )
    assert body["data"]["activateConnection"]["connection"]["state"] == "ACTIVE"
    return await Connection.get(id=conn_id)


def acs(conn: Connection) -> str:
    return f"{BASE}/sso/saml/{conn.id}/acs"


def assertion_for(conn: Connection, **kw: Any) -> Assertion:
    return Assertion(
        destination=acs(conn), audience=f"{BASE}/sso/saml/{conn.id}", recipient=acs(conn), **kw
    )


async def start_saml(client: Any, conn: Connection, state: str = "st1") -> str:
    """GET /sso/authorize; returns the AuthnRequest ID carried in the redirect."""
    r = await client.get(
        "/sso/authorize", params={"connection": conn.id, "redirect_uri": REDIRECT, "state": state}
    )
    assert r.status_code == 302, r.text
    saml_request = parse_qs(urlsplit(r.headers["location"]).query)["SAMLRequest"][0]
    xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(saml_request)
    return etree.fromstring(xml).get("ID")


async def post_acs(client: Any, conn: Connection, xml: bytes) -> Any:
    return await client.post(f"/sso/saml/{conn.id}/acs", data={"SAMLResponse": b64(xml)})


async def counts() -> dict[str, int]:
    return {
        "users": await User.all().count(),
        "members": await Member.all().count(),
        "identities": await LinkedIdentity.all().count(),
        "codes": await SsoCode.all().count(),
        "succeeded": await Event.filter(type="authentication.sso_succeeded").count(),
        "failed": await Event.filter(type="authentication.sso_failed").count(),
    }


async def assert_refused(before: dict[str, int], reason: str | None = None) -> None:
    """A refused sign-in: exactly one sso_failed event (with the reason) and nothing created."""
    after = await counts()
    assert after["failed"] == before["failed"] + 1, (before, after)
    assert {k: v for k, v in after.items() if k != "failed"} == {
        k: v for k, v in before.items() if k != "failed"
    }
    if reason is not None:
        event = await Event.filter(type="authentication.sso_failed").order_by("-id").first()
        assert event is not None
        assert event.data["reason"] == reason, event.data


def sso_outcomes() -> dict[tuple[str, str], float]:
    """gatehouse_sso_outcomes_total by (protocol, outcome), for before/after deltas."""
    return {
        (protocol, outcome): REGISTRY.get_sample_value(
            "gatehouse_sso_outcomes_total", {"protocol": protocol, "outcome": outcome}
        )
        or 0.0
        for protocol in ("saml", "oidc")
        for outcome in ("succeeded", "failed")
    }


def outcome_deltas(
    before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    return {key: after[key] - before[key] for key in before if after[key] != before[key]}
