"""Tenant isolation for the policy mutations: an organization's key reaches nothing of another
organization's members and domains (NOT_FOUND), and changes nothing there."""

from __future__ import annotations

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Domain, Event, Member, MemberSource, MemberStatus
from gatehouse.resolvers import members
from tests.policy.conftest import verified_domain

CASES = {
    "approveMembership": (
        "mutation($id: ID!) { approveMembership(input: {memberId: $id}) { userErrors { code } } }",
        "pending",
    ),
    "denyMembership": (
        "mutation($id: ID!) { denyMembership(input: {memberId: $id}) { userErrors { code } } }",
        "pending",
    ),
    "setMemberSsoBypass": (
        "mutation($id: ID!) { setMemberSsoBypass(input: {memberId: $id, mayBypassSso: true}) "
        "{ userErrors { code } } }",
        "admin",
    ),
    "setDomainEnrollment": (
        "mutation($id: ID!) { setDomainEnrollment(input: {domainId: $id, enrollment: AUTOMATIC}) "
        "{ userErrors { code } } }",
        "domain",
    ),
}


async def _snapshot():
    return (
        await Member.all().order_by("id").values("id", "status", "may_bypass_sso"),
        await Domain.all().order_by("id").values("id", "enrollment"),
        await Event.all().count(),
    )


@pytest.mark.parametrize("name", list(CASES))
async def test_another_organizations_key_reaches_nothing(make_org, gql, org_key, name):
    a = await make_org("Org A")
    b = await make_org("Org B")
    op = operator_principal()
    targets = {
        "admin": await members.create_member(op, b.id, "boss@b.example", "admin"),
        "domain": await verified_domain(b, "b.example"),
    }
    pending = await members.create_member(op, b.id, "asker@b.example")
    await Member.filter(id=pending.id).update(
        status=MemberStatus.PENDING, source=MemberSource.DOMAIN
    )
    targets["pending"] = pending
    token = await org_key(a)
    mutation, target = CASES[name]
    before = await _snapshot()

    body = await gql(mutation, {"id": targets[target].id}, token=token)

    assert body.get("errors") is None, body
    assert body["data"][name]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert await _snapshot() == before
    # B's own key reaches them (the refusal above is isolation, not a broken mutation).
    if name != "setMemberSsoBypass":  # organization keys never set it (test_break_glass.py)
        body = await gql(mutation, {"id": targets[target].id}, token=await org_key(b))
        assert body["data"][name]["userErrors"] == []
