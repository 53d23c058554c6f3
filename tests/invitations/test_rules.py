"""Organization rules: verified-domain restriction and the hourly rate limit."""

from __future__ import annotations

import pytest

from gatehouse.models import Domain, DomainState, Organization
from tests.invitations.conftest import INVITE, RESEND, counts


async def _invite(gql, key, org, email):
    body = await gql(INVITE, {"i": {"organizationId": org.id, "email": email}}, token=key)
    return body["data"]["createInvitation"]


async def test_restrict_to_verified_domains(gql, smtp, make_org, org_key):
    # given an organization that invites only at its verified domains, and acme.com verified
    org = await make_org("Acme")
    await Organization.filter(id=org.id).update(restrict_invitations_to_verified_domains=True)
    await Domain.create(
        organization=org,
        domain="acme.com",
        verified_domain="acme.com",
        state=DomainState.VERIFIED,
        token="x",
    )
    other = await make_org("Globex")
    await Domain.create(
        organization=other,
        domain="globex.com",
        verified_domain="globex.com",
        state=DomainState.VERIFIED,
        token="y",
    )
    await Domain.create(organization=org, domain="pending.com", token="z")
    key = await org_key(org)
    before = await counts()

    # then other domains, another organization's domain and a pending claim are refused
    for email in ("a@gmail.com", "b@globex.com", "c@pending.com"):
        body = await _invite(gql, key, org, email)
        assert body["userErrors"] == [
            {
                "field": ["email"],
                "code": "DOMAIN_NOT_VERIFIED",
                "message": "This organization invites only emails at its verified domains.",
            }
        ]
    assert await counts() == before
    assert smtp.inbox.messages == []

    # and its own verified domain (subdomains included) is allowed
    for email in ("d@acme.com", "e@eu.acme.com"):
        assert (await _invite(gql, key, org, email))["userErrors"] == []


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"invitations_per_hour": 2})


async def test_rate_limit_per_organization_per_hour(gql, smtp, make_org, org_key, clock):
    org = await make_org("Busy")
    quiet = await make_org("Quiet")
    key = await org_key(org)
    quiet_key = await org_key(quiet)
    first = await _invite(gql, key, org, "one@example.com")
    await gql(RESEND, {"i": {"invitationId": first["invitation"]["id"]}}, token=key)

    # when a third invitation (created or resent) goes out within the hour
    before = await counts()
    body = await _invite(gql, key, org, "three@example.com")

    # then it is refused with RATE_LIMITED, nothing changed, no mail was sent
    assert body["invitation"] is None
    assert body["userErrors"] == [
        {
            "field": None,
            "code": "RATE_LIMITED",
            "message": "This organization sent 2 invitations in the last hour; try again later.",
        }
    ]
    resend = await gql(RESEND, {"i": {"invitationId": first["invitation"]["id"]}}, token=key)
    assert resend["data"]["resendInvitation"]["userErrors"][0]["code"] == "RATE_LIMITED"
    assert await counts() == before
    assert len(smtp.inbox.messages) == 2

    # and another organization is unaffected
    assert (await _invite(gql, quiet_key, quiet, "q@example.com"))["userErrors"] == []

    # and an hour later the organization may invite again
    clock.advance(hours=1, seconds=1)
    assert (await _invite(gql, key, org, "three@example.com"))["userErrors"] == []
