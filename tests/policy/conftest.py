"""Policy fixtures: an organization with a verified domain and an OIDC connection to a real
provider on loopback, the mailbox for emailed codes and invitations, and the ways in as a
person's browser and the operator's backend take them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Connection, Domain, DomainEnrollment, DomainState, Organization
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.sso import connections
from gatehouse.settings import Settings

# A fixture shared with the sign-in tests: sign in by an emailed code read from the mailbox.
from tests.sign_in.conftest import code_in, page_in, sign_in_with_code  # noqa: F401
from tests.smtp_fixture import SmtpServer, token_in
from tests.sso.oidc_provider import Provider

BASE = "http://testserver"
APP = "https://app.example.com/callback"

POLICY = """mutation($i: UpdateOrganizationPolicyInput!) { updateOrganizationPolicy(input: $i) {
  organization { policy { allowedAuthMethods } } userErrors { field code message } } }"""
INVITE = """mutation($i: CreateInvitationInput!) { createInvitation(input: $i) {
  invitation { id } userErrors { field code message } } }"""
ACCEPT = """mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) {
  member { id status } authorizeUrl
  authentication { accessToken refreshToken authenticationMethod member { id } }
  userErrors { field code message authorizeUrl } } }"""


@pytest.fixture
def settings(db: str, smtp: SmtpServer) -> Settings:
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_BASE_URL=BASE,
        GATEHOUSE_REDIRECT_URIS=APP,
        GATEHOUSE_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}?starttls=off",
        GATEHOUSE_SMTP_TIMEOUT=5,
        GATEHOUSE_INVITATION_RETRY_INTERVAL=0,
        GATEHOUSE_RATE_LIMIT_ENABLED=False,
        GATEHOUSE_SSO_ALLOW_PRIVATE_URLS=True,
    )


async def verified_domain(
    org: Organization, name: str, enrollment: DomainEnrollment = DomainEnrollment.NONE
) -> Domain:
    return await Domain.create(
        organization=org,
        domain=name,
        verified_domain=name,
        state=DomainState.VERIFIED,
        token="x",
        enrollment=enrollment,
    )


async def oidc_connection(org: Organization, provider: Provider) -> Connection:
    conn = await connections.create_oidc_connection(
        operator_principal(),
        org.id,
        "Okta",
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        allow_private_urls=True,
        secret_key=os.environ["GATEHOUSE_SECRET_KEY"],
    )
    return await connections.activate_connection(operator_principal(), conn.id)


@dataclass
class SsoOutcome:
    """How an SSO sign-in ended: the authentication from POST /sso/token, or the refusal."""

    status: int
    body: dict[str, Any]

    @property
    def issued(self) -> bool:
        return self.status == 200 and "access_token" in self.body


@pytest.fixture
def sign_in_with_sso(client, provider, operator_token):
    """The whole way: /sso/authorize → the provider (real HTTP) → the callback → the
    operator's backend trades the code at POST /sso/token."""

    async def run(conn: Connection, email: str, subject: str) -> SsoOutcome:
        provider.user = {**provider.user, "sub": subject, "email": email, "email_verified": True}
        r = await client.get("/sso/authorize", params={"connection": conn.id, "redirect_uri": APP})
        if r.status_code != 302:
            return SsoOutcome(r.status_code, r.json())
        try:
            async with httpx.AsyncClient() as browser:
                at_idp = await browser.get(r.headers["location"])
        except httpx.ConnectError:
            return SsoOutcome(0, {"error": "idp_unreachable"})
        parts = urlsplit(at_idp.headers["location"])
        callback = await client.get(f"{parts.path}?{parts.query}")
        if callback.status_code != 302:
            return SsoOutcome(callback.status_code, callback.json())
        code = parse_qs(urlsplit(callback.headers["location"]).query)["code"][0]
        token = await client.post(
            "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {operator_token}"}
        )
        return SsoOutcome(token.status_code, token.json())

    return run


@pytest.fixture
def code_on_page(client, smtp, gql, operator_token):
    """Send a code with a way back to the app, then type it into the hosted page it links to:
    the page's JSON answer."""

    async def run(email: str) -> httpx.Response:
        sent = await gql(
            "mutation($i: SendSignInCodeInput!) { sendSignInCode(input: $i) { userErrors { code } } }",
            {"i": {"email": email, "redirectUri": APP}},
            token=operator_token,
        )
        assert sent["data"]["sendSignInCode"]["userErrors"] == []
        message = smtp.inbox.messages[-1]
        return await client.post(
            f"/sign-in/code/{page_in(message)}",
            data={"code": code_in(message)},
            headers={"Accept": "application/json"},
        )

    return run


@pytest.fixture
def invite(gql, smtp, operator_token):
    """Invite `email` into the organization; returns the token from the mailed link."""

    async def run(org: Organization, email: str, role: str = "member") -> str:
        body = await gql(
            INVITE,
            {"i": {"organizationId": org.id, "email": email, "roleSlug": role}},
            token=operator_token,
        )
        assert body["data"]["createInvitation"]["userErrors"] == [], body
        for message in reversed(smtp.inbox.messages):
            if message["To"] == email:
                return token_in(message)
        raise AssertionError(f"no invitation mail to {email}")

    return run


@pytest.fixture
def set_policy(gql, operator_token):
    async def run(org: Organization, **policy: Any) -> None:
        body = await gql(POLICY, {"i": {"organizationId": org.id, **policy}}, token=operator_token)
        assert body["data"]["updateOrganizationPolicy"]["userErrors"] == [], body

    return run


@pytest.fixture
def org_key(db: str):
    """An organization API key with every organization permission."""

    async def make(org: Organization) -> str:
        _, secret = await api_keys.create_api_key(operator_principal(), "org key", org.id)
        return secret

    return make
