"""Sign-in fixtures: a real SMTP server for the codes, an operator key, people in organizations,
and GraphQL helpers for the sign-in mutations."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Member
from gatehouse.resolvers import api_keys, members
from gatehouse.settings import Settings
from tests.smtp_fixture import SmtpServer, text_of

BASE = "http://testserver"
APP = "https://app.example.com/callback"
CODE = re.compile(r"code is:\s+(\d{6})\b")
PAGE = re.compile(r"http://testserver/sign-in/code/(sic_[A-Za-z0-9]+)")

AUTHENTICATION = """authentication { accessToken refreshToken accessTokenExpiresAt
  authenticationMethod user { id email } organization { id } member { id role { slug } } }
  pendingAuthenticationToken organizations { id name } authorizeUrl
  userErrors { field code message authorizeUrl }"""
SEND = """mutation($i: SendSignInCodeInput!) { sendSignInCode(input: $i) {
  userErrors { field code message } } }"""
WITH_CODE = f"""mutation($i: AuthenticateWithCodeInput!) {{ authenticateWithCode(input: $i) {{
  {AUTHENTICATION} }} }}"""
SELECT = f"""mutation($i: AuthenticateWithOrganizationSelectionInput!) {{
  authenticateWithOrganizationSelection(input: $i) {{ {AUTHENTICATION} }} }}"""
REFRESH = f"""mutation($i: RefreshSessionInput!) {{ refreshSession(input: $i) {{
  {AUTHENTICATION} }} }}"""
VIEWER = """{ viewer { kind organizationId user { id email } organization { id }
  organizations { id } member { id } } }"""


@pytest.fixture
def settings(db: str, smtp: SmtpServer) -> Settings:
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_BASE_URL=BASE,
        GATEHOUSE_REDIRECT_URIS=f"{APP},https://app.example.com/other",
        GATEHOUSE_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}?starttls=off",
        GATEHOUSE_SMTP_TIMEOUT=5,
        GATEHOUSE_INVITATION_RETRY_INTERVAL=0,
        GATEHOUSE_RATE_LIMIT_ENABLED=False,
    )


def code_in(message: Any) -> str:
    found = CODE.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


def page_in(message: Any) -> str:
    found = PAGE.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


@dataclass
class Person:
    email: str
    memberships: dict[str, Member]  # organization id → membership

    @property
    def user_id(self) -> str:
        return next(iter(self.memberships.values())).user_id


@pytest.fixture
def person(db: str):
    """A person who is an ACTIVE member of the given organizations."""

    async def make(email: str, *orgs: Any, role: str = "member") -> Person:
        joined = {}
        for org in orgs:
            joined[org.id] = await members.create_member(operator_principal(), org.id, email, role)
        return Person(email, joined)

    return make


@pytest.fixture
def sign_in_with_code(gql, smtp, operator_token):
    """Send a code, read it from the real mailbox, authenticate with it."""

    async def run(email: str, organization_id: str | None = None) -> dict[str, Any]:
        sent = await gql(SEND, {"i": {"email": email}}, token=operator_token)
        assert sent["data"]["sendSignInCode"]["userErrors"] == []
        code = code_in(smtp.inbox.messages[-1])
        body = await gql(
            WITH_CODE,
            {"i": {"email": email, "code": code, "organizationId": organization_id}},
            token=operator_token,
        )
        return body["data"]["authenticateWithCode"]

    return run


@pytest.fixture
def org_token(db: str):
    """An organization API key with every organization permission."""

    async def make(org: Any) -> str:
        _, secret = await api_keys.create_api_key(operator_principal(), "org key", org.id)
        return secret

    return make
