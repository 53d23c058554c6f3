"""Setup links: who may mint them, what they grant, single use, expiry, the cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS
from gatehouse.auth.principal import operator_principal
from gatehouse.auth.secrets import hash_secret
from gatehouse.models import Event, PortalLink, PortalSession
from gatehouse.portal.routes import SECURITY_HEADERS
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.portal import links as portal
from tests.portal.conftest import GENERATE, path_of, token_of

VIEWER = "{ viewer { kind organizationId permissions } }"


async def test_operator_generates_a_single_use_link(gql, operator_token, make_org, settings):
    # Given an organization
    org = await make_org("Acme")
    # When the operator asks for a setup link
    body = await gql(
        GENERATE,
        {"input": {"organizationId": org.id, "intents": ["DOMAIN_VERIFICATION", "SSO"]}},
        token=operator_token,
    )
    # Then the link points at the portal, and only its hash is stored
    payload = body["data"]["generatePortalLink"]
    assert payload["userErrors"] == []
    link = payload["link"]
    assert link.startswith(f"{settings.base_url}/portal/start?token=pl_")
    token = link.split("token=")[1]
    assert len(token) >= 43  # 256 bits, url-safe base64
    row = await PortalLink.get(organization_id=org.id)
    assert row.token_hash == hash_secret(token)
    assert row.intents == ["DOMAIN_VERIFICATION", "SSO"]
    assert (row.expires_at - row.created_at) <= timedelta(seconds=301)
    event = await Event.get(type="portal_link.created")
    assert token not in str(event.data)
    assert row.token_hash not in str(event.data)


async def test_link_ttl_is_configurable(db, make_org, settings):
    settings.portal_link_ttl_seconds = 60
    org = await make_org()
    link, _ = await portal.generate_portal_link(
        operator_principal(), settings, org.id, ["SSO"], None
    )
    assert (link.expires_at - link.created_at) <= timedelta(seconds=61)


async def test_opening_the_link_shows_what_it_opens_and_uses_nothing(client, make_org, make_link):
    # Given a fresh link
    org = await make_org("Acme")
    link = await make_link(org.id, ["DOMAIN_VERIFICATION", "SSO"])
    # When a mail scanner, a link preview and then the admin fetch it
    pages = [await client.get(path_of(link)) for _ in range(3)]
    # Then each gets the page naming the organization and the setup, with a Continue form,
    # and the link is still unused with no session started
    for page in pages:
        assert page.status_code == 200
        assert "Acme" in page.text
        assert "Verify your domains" in page.text
        assert "Set up single sign-on" in page.text
        assert '<form method="post" action="/portal/start">' in page.text
        assert f'<input type="hidden" name="token" value="{token_of(link)}">' in page.text
        assert ">Continue</button>" in page.text
        assert "<script" not in page.text  # CSP allows no inline script; the page needs none
        assert "set-cookie" not in page.headers
        # Same-origin, not no-referrer: the latter makes Chromium post the form with
        # "Origin: null". Other sites still never see the URL.
        assert page.headers["referrer-policy"] == "same-origin"
        for name, value in SECURITY_HEADERS.items():
            if name != "Referrer-Policy":
                assert page.headers[name] == value
    row = await PortalLink.get(organization_id=org.id)
    assert row.used_at is None
    assert not await PortalSession.exists()


async def test_continue_sets_a_locked_down_cookie(client, make_org, make_link, browser_session):
    org = await make_org()
    link = await make_link(org.id, returnUrl="https://app.example/settings")
    await client.get(path_of(link))
    # When the admin presses Continue (a POST from our own page)
    response = await browser_session.continue_(link)
    # Then a session starts and the browser lands on the portal home
    assert response.status_code == 303
    assert response.headers["location"] == "/portal"
    assert response.headers["referrer-policy"] == "no-referrer"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("gatehouse_portal=ps_")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=3600" in cookie
    assert "Secure" not in cookie  # base URL is http in tests; see the https test below
    assert (await PortalLink.get(organization_id=org.id)).used_at is not None
    session = await PortalSession.get(organization_id=org.id)
    assert session.intents == ["DOMAIN_VERIFICATION"]
    assert session.return_url == "https://app.example/settings"
    home = await client.get("/portal")
    assert home.status_code == 200
    assert "Acme" in home.text
    assert "https://app.example/settings" in home.text


async def test_cookie_is_secure_when_the_base_url_is_https(
    make_org, make_link, settings, browser_session
):
    settings.base_url = "https://gatehouse.example"
    org = await make_org()
    link = await make_link(org.id)
    assert link.startswith("https://gatehouse.example/portal/start?token=")
    response = await browser_session.open(link)
    assert "Secure" in response.headers["set-cookie"]


async def test_a_link_works_once(client, make_org, make_link, browser_session):
    org = await make_org()
    link = await make_link(org.id)
    first = await browser_session.open(link)
    assert first.status_code == 303
    client.cookies.clear()
    # When Continue is pressed a second time (a second tab, a replayed form)
    second = await browser_session.continue_(link)
    # Then it leads to the page that asks for a new link, and no second session exists
    assert second.status_code == 303
    assert second.headers["location"] == "/portal/expired?reason=used"
    assert "gatehouse_portal" not in client.cookies
    page = await client.get(second.headers["location"])
    assert page.status_code == 410
    assert "already used" in page.text
    assert "ask your Gatehouse contact to send you a new setup link" in page.text
    assert await PortalSession.filter(organization_id=org.id).count() == 1
    # And the used link itself now shows that page instead of Continue
    again = await client.get(path_of(link))
    assert again.headers["location"] == "/portal/expired?reason=used"


@pytest.mark.parametrize(
    ("origin", "referer"),
    [
        ("https://evil.example", None),  # another site's auto-submitting form
        ("https://evil.example", "http://127.0.0.1:8000/portal/start"),  # Origin wins
        ("http://127.0.0.1:8000.evil.example", None),  # prefix trick
        ("null", None),  # sandboxed iframe or data: URL
        (None, "https://evil.example/page"),
        (None, None),  # neither header: nothing shows the post came from our page
    ],
)
async def test_a_post_from_elsewhere_is_refused_and_uses_nothing(
    make_org, make_link, browser_session, origin, referer
):
    org = await make_org()
    link = await make_link(org.id)
    headers = {"Referer": referer} if referer else {}
    response = await browser_session.continue_(link, origin=origin, **headers)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert "set-cookie" not in response.headers
    assert (await PortalLink.get(organization_id=org.id)).used_at is None
    assert not await PortalSession.exists()
    # The admin's own click still works afterwards
    assert (await browser_session.open(link)).headers["location"] == "/portal"


async def test_without_origin_our_own_referer_is_enough(make_org, make_link, browser_session):
    org = await make_org()
    link = await make_link(org.id)
    response = await browser_session.continue_(link, origin=None, Referer=link)
    assert response.headers["location"] == "/portal"
    assert await PortalSession.filter(organization_id=org.id).count() == 1


async def test_an_expired_link_asks_for_a_new_one(
    client, make_org, make_link, monkeypatch, browser_session
):
    org = await make_org()
    link = await make_link(org.id)
    later = portal.now() + timedelta(seconds=301)
    monkeypatch.setattr(portal, "now", lambda: later)
    response = await client.get(path_of(link))
    assert response.headers["location"] == "/portal/expired?reason=expired"
    assert "has expired" in (await client.get(response.headers["location"])).text
    posted = await browser_session.continue_(link)
    assert posted.headers["location"] == "/portal/expired?reason=expired"
    assert not await PortalSession.exists()


@pytest.mark.parametrize("token", ["", "pl_nope", "sk_" + "a" * 43, "x" * 500])
async def test_unknown_tokens_read_as_invalid(client, db, token, browser_session):
    response = await client.get(f"/portal/start?token={token}")
    assert response.headers["location"] == "/portal/expired?reason=invalid"
    posted = await browser_session.continue_(f"/portal/start?token={token}")
    assert posted.headers["location"] == "/portal/expired?reason=invalid"


async def test_pages_without_a_session_redirect_to_the_expired_page(client, db):
    for page in ("/portal", "/portal/domains"):
        response = await client.get(page)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/expired?reason=session"


async def test_an_expired_session_redirects_to_the_expired_page(
    client, make_org, make_link, browser_session
):
    org = await make_org()
    await browser_session.open(await make_link(org.id))
    session = await PortalSession.get(organization_id=org.id)
    session.expires_at = portal.now() - timedelta(seconds=1)
    await session.save()
    body = (await browser_session.gql(VIEWER)).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    response = await client.get("/portal")
    assert response.headers["location"] == "/portal/expired?reason=session"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"intents": []}, "REQUIRED"),
        ({"returnUrl": "javascript:alert(1)"}, "INVALID_RETURN_URL"),
        ({"returnUrl": "https://good.example@evil.example/"}, "INVALID_RETURN_URL"),
        ({"returnUrl": "//evil.example/"}, "INVALID_RETURN_URL"),
        ({"returnUrl": "https://x.example/" + "a" * 2000}, "TOO_LONG"),
    ],
)
async def test_bad_input_creates_nothing(gql, operator_token, make_org, extra, code):
    org = await make_org()
    variables = {"input": {"organizationId": org.id, "intents": ["SSO"], **extra}}
    body = await gql(GENERATE, variables, token=operator_token)
    payload = body["data"]["generatePortalLink"]
    assert [e["code"] for e in payload["userErrors"]] == [code]
    assert payload["link"] is None
    assert not await PortalLink.exists()


async def test_org_key_needs_portal_write(gql, make_org):
    org = await make_org()
    _, without = await api_keys.create_api_key(
        operator_principal(), "k", org.id, ["organizations:read"]
    )
    _, with_it = await api_keys.create_api_key(operator_principal(), "k2", org.id, None)
    variables = {"input": {"organizationId": org.id, "intents": ["DOMAIN_VERIFICATION"]}}
    refused = await gql(GENERATE, variables, token=without)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await PortalLink.exists()
    allowed = await gql(GENERATE, variables, token=with_it)
    assert allowed["data"]["generatePortalLink"]["userErrors"] == []


async def test_a_link_never_grants_more_than_its_creator_holds(gql, make_org):
    org = await make_org()
    granted = sorted(portal.intent_permissions(["DOMAIN_VERIFICATION"]) - {"organizations:read"})
    if not granted:
        pytest.skip("no domain permissions in this deployment yet")
    _, key = await api_keys.create_api_key(operator_principal(), "k", org.id, ["portal:write"])
    variables = {"input": {"organizationId": org.id, "intents": ["DOMAIN_VERIFICATION"]}}
    body = await gql(GENERATE, variables, token=key)
    assert [e["code"] for e in body["data"]["generatePortalLink"]["userErrors"]] == [
        "INVALID_INTENT"
    ]
    assert not await PortalLink.exists()


async def test_the_portal_principal_holds_only_its_intents(
    client, make_org, make_link, browser_session
):
    org = await make_org()
    await browser_session.open(await make_link(org.id, ["DOMAIN_VERIFICATION"]))
    body = (await browser_session.gql(VIEWER)).json()
    viewer = body["data"]["viewer"]
    assert viewer["kind"] == "PORTAL"
    assert viewer["organizationId"] == org.id
    expected = portal.intent_permissions(["DOMAIN_VERIFICATION"])
    assert set(viewer["permissions"]) == expected
    assert expected <= ORGANIZATION_PERMISSIONS
    assert "portal:write" not in viewer["permissions"]
    assert "api_keys:write" not in viewer["permissions"]
