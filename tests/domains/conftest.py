"""The helpers the domain tests share. The DNS server fixtures (`dns_server`, `dns`,
`dead_nameserver`) live in tests/dns_fixture.py, shared with the Admin Portal tests."""

from __future__ import annotations

import os
from typing import Any

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event
from gatehouse.resolvers import api_keys
from gatehouse.settings import Settings
from tests.dns_fixture import FakeDns


@pytest.fixture
def settings(db: str, dns_server: FakeDns) -> Settings:
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_BASE_URL="https://gatehouse.test",
        GATEHOUSE_DNS_NAMESERVERS=f"127.0.0.1:{dns_server.port}",
        GATEHOUSE_DNS_TIMEOUT_SECONDS=0.5,
        GATEHOUSE_DOMAIN_RECHECKS=False,
    )


@pytest.fixture
def org_token(db: str) -> Any:
    """An organization-scoped API key's secret, with the given scopes."""

    async def make(organization_id: str, *scopes: str) -> str:
        wanted = list(scopes) or ["domains:read", "domains:write", "organizations:read"]
        _, secret = await api_keys.create_api_key(
            operator_principal(), "test org key", organization_id, wanted
        )
        return secret

    return make


async def event_types(organization_id: str | None = None) -> list[str]:
    query = Event.all().order_by("id")
    if organization_id is not None:
        query = query.filter(organization_id=organization_id)
    return [e.type for e in await query if e.type.startswith("organization_domain.")]


ADD = """mutation($i: AddDomainInput!) { addDomain(input: $i) {
  domain { id domain unicodeDomain state strategy failureReason verifiedAt lastCheckedAt
           record { type name value } organization { id } }
  userErrors { field code message } } }"""

VERIFY = """mutation($i: VerifyDomainInput!) { verifyDomain(input: $i) {
  domain { id domain state strategy failureReason verifiedAt lastCheckedAt nextCheckAt
           record { name value } }
  userErrors { field code message } } }"""

REMOVE = """mutation($i: RemoveDomainInput!) { removeDomain(input: $i) {
  deletedId userErrors { field code message } } }"""

SIGN_IN = """query($e: String!) { resolveSignIn(email: $e) {
  method reason authorizeUrl organization { id } domain { domain } } }"""


@pytest.fixture
def domain_events() -> Any:
    return event_types


@pytest.fixture
def add(gql: Any, operator_token: str) -> Any:
    async def call(organization_id: str, domain: str, token: str | None = None) -> dict[str, Any]:
        body = await gql(
            ADD,
            {"i": {"organizationId": organization_id, "domain": domain}},
            token=token or operator_token,
        )
        assert "errors" not in body, body
        return body["data"]["addDomain"]

    return call


@pytest.fixture
def verify(gql: Any, operator_token: str) -> Any:
    async def call(
        domain_id: str, token: str | None = None, strategy: str | None = None
    ) -> dict[str, Any]:
        i: dict[str, Any] = {"domainId": domain_id}
        if strategy:
            i["strategy"] = strategy
        body = await gql(VERIFY, {"i": i}, token=token or operator_token)
        assert "errors" not in body, body
        return body["data"]["verifyDomain"]

    return call


@pytest.fixture
def remove(gql: Any, operator_token: str) -> Any:
    async def call(domain_id: str, token: str | None = None) -> dict[str, Any]:
        body = await gql(REMOVE, {"i": {"domainId": domain_id}}, token=token or operator_token)
        assert "errors" not in body, body
        return body["data"]["removeDomain"]

    return call


@pytest.fixture
def sign_in(gql: Any, operator_token: str) -> Any:
    async def call(email: str, token: str | None = None) -> dict[str, Any]:
        return await gql(SIGN_IN, {"e": email}, token=token or operator_token)

    return call


@pytest.fixture
def publish(dns: FakeDns) -> Any:
    """Publish the exact record a domain payload asks for."""

    def call(domain: dict[str, Any]) -> None:
        dns.publish(domain["record"]["name"], domain["record"]["value"])

    return call
