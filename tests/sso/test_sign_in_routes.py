"""GET /sso/authorize routing and the redirect allow-list (SECURITY 20), POST /sso/token (21)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from gatehouse.auth import clock
from gatehouse.auth.principal import operator_principal
from gatehouse.models import SsoRequest
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.sign_in import handoff
from gatehouse.resolvers.sso import sign_in as sso
from tests.sso.helpers import (
    REDIRECT,
    assertion_for,
    post_acs,
    saml_connection,
    start_saml,
    verified_domain,
)
from tests.sso.saml_idp import signed


@pytest.fixture
async def org_conn(make_org, idp_keys):
    org = await make_org("Acme")
    org.jit_provisioning = True
    await org.save()
    await verified_domain(org)
    return org, await saml_connection(org, [idp_keys])


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/callback",
        "https://app.example.com/callback/../evil",
        "https://app.example.com/callback?next=https://evil.example",
        "https://app.example.com@evil.example/callback",
        "https://app.example.com\\@evil.example/callback",
        "//evil.example/callback",
        "https://app.example.com%2F@evil.example/callback",
        "https://APP.example.com/callback",
        "http://app.example.com/callback",
        "https://app.example.com/callback#x",
        "javascript:alert(1)",
        "",
    ],
)
async def test_redirect_uri_outside_allow_list_refused(client, org_conn, uri):
    _, conn = org_conn
    r = await client.get("/sso/authorize", params={"connection": conn.id, "redirect_uri": uri})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_redirect_uri"
    assert "GATEHOUSE_REDIRECT_URIS" in r.json()["message"]  # tells the operator what to set
    assert "location" not in r.headers
    assert await SsoRequest.all().count() == 0


@pytest.mark.parametrize("by", ["organization", "domain", "login_hint"])
async def test_authorize_finds_the_connection(client, org_conn, by):
    org, conn = org_conn
    value = {"organization": org.id, "domain": "acme.com", "login_hint": "alice@acme.com"}[by]
    r = await client.get("/sso/authorize", params={by: value, "redirect_uri": REDIRECT})
    assert r.status_code == 302
    assert r.headers["location"].startswith("https://idp.test/sso?SAMLRequest=")
    assert (await SsoRequest.get()).connection_id == conn.id


async def test_authorize_unknown_domain_is_404(client, org_conn):
    r = await client.get(
        "/sso/authorize", params={"domain": "nobody.example", "redirect_uri": REDIRECT}
    )
    assert r.status_code == 404
    assert r.json()["error"] == "unknown_connection"


async def test_relay_state_is_never_a_redirect_target(client, org_conn, idp_keys):
    _, conn = org_conn
    request_id = await start_saml(client, conn)
    xml = signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    from tests.sso.saml_idp import b64

    r = await client.post(
        f"/sso/saml/{conn.id}/acs",
        data={"SAMLResponse": b64(xml), "RelayState": "https://evil.example/"},
    )
    assert r.status_code == 302
    assert r.headers["location"].startswith(REDIRECT + "?")


async def _code(client, conn, idp_keys) -> str:
    request_id = await start_saml(client, conn)
    r = await post_acs(
        client, conn, signed(assertion_for(conn, in_response_to=request_id), idp_keys)
    )
    return parse_qs(urlsplit(r.headers["location"]).query)["code"][0]


async def test_token_needs_an_api_key(client, org_conn, idp_keys):
    _, conn = org_conn
    code = await _code(client, conn, idp_keys)
    r = await client.post("/sso/token", data={"code": code})
    assert r.status_code == 401
    # the code was not spent by the refused call
    _, key = await api_keys.create_api_key(operator_principal(), "op")
    r = await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 200


async def test_expired_code_refused(client, org_conn, idp_keys, operator_token, monkeypatch):
    _, conn = org_conn
    code = await _code(client, conn, idp_keys)
    later = clock.now() + handoff.CODE_TTL + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    r = await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {operator_token}"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_code_of_another_organization_refused(client, org_conn, idp_keys, make_org):
    # given a code for Acme and an API key of another organization
    org, conn = org_conn
    code = await _code(client, conn, idp_keys)
    other = await make_org("Other")
    _, other_key = await api_keys.create_api_key(
        operator_principal(), "o", organization_id=other.id
    )
    # when that key presents it: refused, and the code stays unspent for Acme's own key
    r = await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {other_key}"}
    )
    assert r.status_code == 400
    _, own_key = await api_keys.create_api_key(operator_principal(), "a", organization_id=org.id)
    r = await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {own_key}"}
    )
    assert r.status_code == 200, r.text


async def test_code_ttl_is_at_most_ten_minutes():
    assert timedelta(minutes=10) >= handoff.CODE_TTL


async def test_purge_drops_only_expired_state(client, org_conn, idp_keys, monkeypatch):
    _, conn = org_conn
    await start_saml(client, conn)
    assert await sso.purge_expired() == 0
    later = sso.now() + timedelta(hours=1)
    monkeypatch.setattr(sso, "now", lambda: later)
    assert await sso.purge_expired() == 1
    assert await SsoRequest.all().count() == 0


async def test_malformed_acs_posts_are_clear_4xx(client, org_conn):
    _, conn = org_conn
    flood = "&".join(f"f{i}=x" for i in range(50))
    for body, ctype in (
        (flood, "application/x-www-form-urlencoded"),
        ("SAMLResponse=%%%not-base64", "application/x-www-form-urlencoded"),
        ('{"SAMLResponse": "x"}', "application/json"),
    ):
        r = await client.post(
            f"/sso/saml/{conn.id}/acs", content=body, headers={"Content-Type": ctype}
        )
        assert 400 <= r.status_code < 500, r.text
        assert r.json()["error"] in {"missing_response", "malformed_response"}
    r = await client.post(
        "/sso/saml/conn_01JUNKJUNKJUNKJUNKJUNKJUNK/acs", data={"SAMLResponse": "x"}
    )
    assert r.status_code == 404


async def test_authorize_prefers_the_active_connection(client, org_conn, idp_keys):
    from gatehouse.models import ConnectionState

    org, active = org_conn
    validating = await saml_connection(org, [idp_keys], activate=False)
    validating.state = ConnectionState.VALIDATING
    await validating.save()
    r = await client.get(
        "/sso/authorize", params={"organization": org.id, "redirect_uri": REDIRECT}
    )
    assert r.status_code == 302
    assert (await SsoRequest.get()).connection_id == active.id
