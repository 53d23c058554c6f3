"""Every way in, under every policy: the organization's allowed methods hold at each door.

The ways in are SSO (a real OIDC provider), an emailed code, accepting an invitation,
refreshing a session, and switching a session into the organization. The policies are SSO
only, email codes only, both, SSO only for a break-glass admin, and SSO only while the IdP is
down. Each cell checks what came out (a session, a refusal with its code, or for an invitation
the membership without tokens) and that a refusal changed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    AuthenticationMethod,
    Connection,
    Event,
    Invitation,
    Member,
    MemberStatus,
    Organization,
    RefreshToken,
    Session,
    SignInCode,
    SsoCode,
    User,
)
from gatehouse.resolvers import members
from tests.policy.conftest import ACCEPT, BASE, oidc_connection, verified_domain
from tests.sign_in.conftest import REFRESH, WITH_CODE, code_in

WAYS = ("sso", "email_code", "invitation", "refresh", "switch")
POLICIES = ("sso_only", "email_only", "both", "break_glass", "idp_down")

ISSUED = "issued"
JOINED = "joined"  # the invitation made the membership; no tokens, the SSO URL instead
UNREACHABLE = "idp_unreachable"  # the browser never gets an answer from the IdP


def refused(code: str) -> str:
    return f"refused:{code}"


NOT_ALLOWED = refused("AUTH_METHOD_NOT_ALLOWED")

EXPECTED = {
    ("sso", "sso_only"): ISSUED,
    ("sso", "email_only"): refused("auth_method_not_allowed"),
    ("sso", "both"): ISSUED,
    ("sso", "break_glass"): ISSUED,
    ("sso", "idp_down"): UNREACHABLE,
    ("email_code", "sso_only"): NOT_ALLOWED,
    ("email_code", "email_only"): ISSUED,
    ("email_code", "both"): ISSUED,
    ("email_code", "break_glass"): ISSUED,
    ("email_code", "idp_down"): NOT_ALLOWED,
    ("invitation", "sso_only"): JOINED,
    ("invitation", "email_only"): ISSUED,
    ("invitation", "both"): ISSUED,
    ("invitation", "break_glass"): ISSUED,  # a deactivated break-glass admin, invited back
    ("invitation", "idp_down"): JOINED,
    # The session being refreshed started the other way, before the policy changed.
    ("refresh", "sso_only"): NOT_ALLOWED,  # started by emailed code
    ("refresh", "email_only"): NOT_ALLOWED,  # started by SSO
    ("refresh", "both"): ISSUED,  # started by SSO
    ("refresh", "break_glass"): ISSUED,  # started by emailed code
    ("refresh", "idp_down"): ISSUED,  # started by SSO: a refresh does not need the IdP
    # A session in another organization (both methods) started by emailed code, switched here.
    ("switch", "sso_only"): NOT_ALLOWED,
    ("switch", "email_only"): ISSUED,
    ("switch", "both"): ISSUED,
    ("switch", "break_glass"): ISSUED,
    ("switch", "idp_down"): NOT_ALLOWED,
}

METHODS = {
    "sso_only": ["SSO"],
    "email_only": ["EMAIL_CODE"],
    "both": ["SSO", "EMAIL_CODE"],
    "break_glass": ["SSO"],
    "idp_down": ["SSO"],
}
REFRESHED_SESSION_STARTS = {
    "sso_only": "email_code",
    "email_only": "sso",
    "both": "sso",
    "break_glass": "email_code",
    "idp_down": "sso",
}
BYPASS = """mutation($i: SetMemberSsoBypassInput!) { setMemberSsoBypass(input: $i) {
  member { mayBypassSso } userErrors { code } } }"""
EMAIL = "pat@acme.com"
SUBJECT = "okta-pat"


async def snapshot() -> dict[str, Any]:
    """Everything a way in could change (the refusal's own sso_failed event aside)."""
    return {
        "users": await User.all().order_by("id").values("id", "email", "email_verified"),
        "members": await Member.all()
        .order_by("id")
        .values("id", "status", "role_id", "may_bypass_sso"),
        "sessions": await Session.all()
        .order_by("id")
        .values("id", "revoked_at", "last_refreshed_at", "expires_at"),
        "refresh_tokens": await RefreshToken.all().order_by("id").values("id", "used_at"),
        "invitations": await Invitation.all().order_by("id").values("id", "state"),
        "codes": await SignInCode.all().order_by("id").values("id", "used_at", "attempts"),
        "handoffs": await SsoCode.all().order_by("id").values("id", "used_at"),
        "events": await Event.exclude(type="authentication.sso_failed")
        .order_by("id")
        .values_list("type", flat=True),
    }


@dataclass
class Cell:
    acme: Organization
    conn: Connection
    refresh_token: str | None = None
    invitation_token: str | None = None


@pytest.fixture
def cell(
    make_org, provider, gql, operator_token, set_policy, invite, sign_in_with_code, sign_in_with_sso
):
    """Acme (acme.com verified, an active OIDC connection, an admin), Pat ready for the way
    in, then the policy applied."""

    async def prepare(way: str, policy: str) -> Cell:
        acme = await make_org("Acme")
        await verified_domain(acme, "acme.com")
        conn = await oidc_connection(acme, provider)
        op = operator_principal()
        await members.create_member(op, acme.id, "boss@acme.com", "admin")
        ready = Cell(acme, conn)
        role = "admin" if policy == "break_glass" else "member"
        if way != "invitation" or policy == "break_glass":
            pat = await members.create_member(op, acme.id, EMAIL, role)
            if policy == "break_glass":
                body = await gql(
                    BYPASS, {"i": {"memberId": pat.id, "mayBypassSso": True}}, token=operator_token
                )
                assert body["data"]["setMemberSsoBypass"]["member"]["mayBypassSso"], body
            if way == "invitation":
                await members.set_member_status(op, pat.id, MemberStatus.INACTIVE)
        if way == "invitation":
            ready.invitation_token = await invite(acme, EMAIL, role)
        if way == "refresh":
            if REFRESHED_SESSION_STARTS[policy] == "sso":
                outcome = await sign_in_with_sso(conn, EMAIL, SUBJECT)
                assert outcome.issued, outcome
                ready.refresh_token = outcome.body["refresh_token"]
            else:
                payload = await sign_in_with_code(EMAIL, acme.id)
                ready.refresh_token = payload["authentication"]["refreshToken"]
        if way == "switch":
            home = await make_org("Home")
            await members.create_member(op, home.id, EMAIL, "member")
            payload = await sign_in_with_code(EMAIL, home.id)
            ready.refresh_token = payload["authentication"]["refreshToken"]
        await set_policy(acme, allowedAuthMethods=METHODS[policy])
        if policy == "idp_down":
            # Nothing answers at the IdP's endpoints any more (port 9 is closed here).
            conn.oidc_discovery = {
                **conn.oidc_discovery,
                "authorization_endpoint": "http://127.0.0.1:9/authorize",
                "token_endpoint": "http://127.0.0.1:9/token",
            }
            await conn.save()
        return ready

    return prepare


def _graphql_outcome(payload: dict[str, Any]) -> tuple[str, str | None]:
    if payload.get("authentication"):
        return ISSUED, None
    errors = payload["userErrors"]
    if not errors and payload.get("member") and payload.get("authorizeUrl"):
        return JOINED, payload["authorizeUrl"]
    assert errors, payload
    # The error carries the SSO URL, and so does the payload (the same one).
    assert payload.get("authorizeUrl", errors[0]["authorizeUrl"]) == errors[0]["authorizeUrl"]
    return refused(errors[0]["code"]), errors[0]["authorizeUrl"]


@pytest.fixture
def take(gql, smtp, operator_token, sign_in_with_sso):
    """Take the way in: its outcome, and the SSO URL a refusal or an acceptance pointed to."""

    async def run(way: str, ready: Cell) -> tuple[str, str | None]:
        if way == "sso":
            result = await sign_in_with_sso(ready.conn, EMAIL, SUBJECT)
            if result.issued:
                return ISSUED, None
            error = result.body["error"]
            return (UNREACHABLE if error == UNREACHABLE else refused(error)), None
        if way == "email_code":
            code = code_in(smtp.inbox.messages[-1])
            variables = {"email": EMAIL, "code": code, "organizationId": ready.acme.id}
            body = await gql(WITH_CODE, {"i": variables}, token=operator_token)
            return _graphql_outcome(body["data"]["authenticateWithCode"])
        if way == "invitation":
            body = await gql(ACCEPT, {"i": {"token": ready.invitation_token}})
            return _graphql_outcome(body["data"]["acceptInvitation"])
        target = ready.acme.id if way == "switch" else None
        variables = {"refreshToken": ready.refresh_token, "organizationId": target}
        body = await gql(REFRESH, {"i": variables}, token=operator_token)
        return _graphql_outcome(body["data"]["refreshSession"])

    return run


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("way", WAYS)
async def test_every_way_in_under_every_policy(way, policy, cell, take, gql, operator_token):
    ready = await cell(way, policy)
    acme = ready.acme
    if way == "email_code":
        sent = await gql(
            "mutation($i: SendSignInCodeInput!) { sendSignInCode(input: $i) { userErrors { code } } }",
            {"i": {"email": EMAIL}},
            token=operator_token,
        )
        assert sent["data"]["sendSignInCode"]["userErrors"] == []
    before = await snapshot()
    sso_url = f"{BASE}/sso/authorize?organization={acme.id}"

    outcome, authorize_url = await take(way, ready)

    assert outcome == EXPECTED[way, policy]
    member = await Member.get_or_none(organization_id=acme.id, user__email=EMAIL)
    if outcome == ISSUED:
        assert member is not None
        assert member.status is MemberStatus.ACTIVE
        # A new session in Acme; a refresh extends the one it had.
        sessions = await Session.filter(member_id=member.id).values("id", "last_refreshed_at")
        earlier = {row["id"] for row in before["sessions"]}
        assert [row for row in sessions if row["id"] not in earlier or row["last_refreshed_at"]]
        if policy == "break_glass" and way in ("email_code", "invitation", "refresh", "switch"):
            bypass = await Event.filter(type="authentication.sso_bypassed").order_by("-id").first()
            assert bypass is not None
            assert bypass.data["member_id"] == member.id
    elif outcome == JOINED:
        assert member is not None
        assert member.status is MemberStatus.ACTIVE
        assert authorize_url is not None
        assert authorize_url.startswith(sso_url)
        assert await Session.filter(member_id=member.id).count() == 0
        assert (await Invitation.get(organization_id=acme.id)).state.value == "ACCEPTED"
    else:
        assert await snapshot() == before
        if outcome == NOT_ALLOWED:
            # Where SSO is allowed the refusal says where to go; where it is not, nowhere.
            assert authorize_url == (sso_url if "SSO" in METHODS[policy] else None)


async def test_a_break_glass_admin_who_is_demoted_loses_the_way_around(
    cell, gql, operator_token, sign_in_with_code
):
    ready = await cell("email_code", "break_glass")
    pat = await Member.get(organization_id=ready.acme.id, user__email=EMAIL)
    await members.update_member_role(operator_principal(), pat.id, "member")

    payload = await sign_in_with_code(EMAIL, ready.acme.id)

    assert payload["authentication"] is None
    assert payload["userErrors"][0]["code"] == "AUTH_METHOD_NOT_ALLOWED"
    assert await Event.filter(type="authentication.sso_bypassed").count() == 0


async def test_sso_through_another_organizations_idp_does_not_switch_into_sso_only(
    make_org, provider, set_policy, gql, operator_token, sign_in_with_sso
):
    # Pat signs in at Home's IdP, then asks to switch into Acme, which allows only SSO: the
    # session proves SSO at Home, not at Acme.
    acme = await make_org("Acme")
    await oidc_connection(acme, provider)
    home = await make_org("Home")
    await verified_domain(home, "acme.com")
    home_conn = await oidc_connection(home, provider)
    op = operator_principal()
    await members.create_member(op, acme.id, EMAIL)
    await members.create_member(op, home.id, EMAIL)
    await set_policy(acme, allowedAuthMethods=["SSO"])
    started = await sign_in_with_sso(home_conn, EMAIL, SUBJECT)
    assert started.issued, started
    assert started.body["authentication_method"] == AuthenticationMethod.SSO.value
    before = await snapshot()

    body = await gql(
        REFRESH,
        {"i": {"refreshToken": started.body["refresh_token"], "organizationId": acme.id}},
        token=operator_token,
    )

    payload = body["data"]["refreshSession"]
    assert payload["userErrors"][0]["code"] == "AUTH_METHOD_NOT_ALLOWED"
    assert payload["authorizeUrl"] == f"{BASE}/sso/authorize?organization={acme.id}"
    assert await snapshot() == before


async def test_an_sso_sign_in_started_before_sso_was_turned_off_is_refused_at_the_callback(
    make_org, provider, client, set_policy
):
    acme = await make_org("Acme")
    await verified_domain(acme, "acme.com")
    conn = await oidc_connection(acme, provider)
    await members.create_member(operator_principal(), acme.id, EMAIL)
    provider.user = {**provider.user, "sub": SUBJECT, "email": EMAIL}
    started = await client.get(
        "/sso/authorize",
        params={"connection": conn.id, "redirect_uri": "https://app.example.com/callback"},
    )
    assert started.status_code == 302
    async with httpx.AsyncClient() as browser:
        at_idp = await browser.get(started.headers["location"])
    await set_policy(acme, allowedAuthMethods=["EMAIL_CODE"])
    before = await snapshot()

    parts = urlsplit(at_idp.headers["location"])
    r = await client.get(f"{parts.path}?{parts.query}")

    assert r.status_code == 403
    assert r.json()["error"] == "auth_method_not_allowed"
    assert await snapshot() == before
    failed = await Event.filter(type="authentication.sso_failed").order_by("-id").first()
    assert failed is not None
    assert failed.data["reason"] == "auth_method_not_allowed"
