"""The hosted pages under an SSO-only policy: the invitation page makes the membership and
sends the person on to SSO; a code handed off from the code page is refused at /sso/token
with the SSO URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Member, MemberStatus, Session
from gatehouse.resolvers import members
from tests.policy.conftest import APP, BASE, oidc_connection, verified_domain


async def _sso_only_acme(make_org, provider, set_policy):
    acme = await make_org("Acme")
    await verified_domain(acme, "acme.com")
    await oidc_connection(acme, provider)
    await members.create_member(operator_principal(), acme.id, "boss@acme.com", "admin")
    await set_policy(acme, allowedAuthMethods=["SSO"])
    return acme


async def test_the_invitation_page_joins_then_links_to_sso(
    make_org, provider, set_policy, invite, client
):
    acme = await _sso_only_acme(make_org, provider, set_policy)
    token = await invite(acme, "ivy@acme.com")

    r = await client.post(f"/invitations/{token}", data={}, headers={"Accept": "application/json"})

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] is True
    assert "redirect_to" not in body  # no code for the app: the policy does not admit this way
    url = urlsplit(body["authorize_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{BASE}/sso/authorize"
    assert parse_qs(url.query) == {
        "organization": [acme.id],
        "redirect_uri": [APP],
        "login_hint": ["ivy@acme.com"],
    }
    member = await Member.get(id=body["member_id"])
    assert member.status is MemberStatus.ACTIVE
    assert await Session.filter(member_id=member.id).count() == 0

    html = await client.post(f"/invitations/{token}", data={})
    assert html.status_code == 410  # accepted already; the link was the way on

    # The link starts the organization's SSO for this person.
    started = await client.get(body["authorize_url"].removeprefix(BASE))
    assert started.status_code == 302
    assert parse_qs(urlsplit(started.headers["location"]).query)["login_hint"] == ["ivy@acme.com"]


async def test_the_invitation_page_in_html_shows_the_sso_link(
    make_org, provider, set_policy, invite, client
):
    acme = await _sso_only_acme(make_org, provider, set_policy)
    token = await invite(acme, "ivy@acme.com")

    r = await client.post(f"/invitations/{token}", data={})

    assert r.status_code == 200
    assert "Continue with single sign-on" in r.text
    assert f"/sso/authorize?organization={acme.id}" in r.text


async def test_a_code_page_handoff_into_an_sso_only_organization_is_refused_with_the_url(
    make_org, provider, set_policy, client, code_on_page, operator_token
):
    acme = await _sso_only_acme(make_org, provider, set_policy)
    await members.create_member(operator_principal(), acme.id, "pat@acme.com")
    r = await code_on_page("pat@acme.com")
    handoff = parse_qs(urlsplit(r.json()["redirect_to"]).query)["code"][0]

    token = await client.post(
        "/sso/token", data={"code": handoff}, headers={"Authorization": f"Bearer {operator_token}"}
    )

    assert token.status_code == 400
    assert token.json() == {
        "error": "auth_method_not_allowed",
        "message": token.json()["message"],
        "authorize_url": f"{BASE}/sso/authorize?organization={acme.id}",
    }
    assert await Session.all().count() == 0
