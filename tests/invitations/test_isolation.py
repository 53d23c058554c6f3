"""Tenancy and permissions: another organization's invitations read as absent (SECURITY.md 24)."""

from __future__ import annotations

import pytest

from gatehouse.auth.permissions import MEMBER_ROLE_PERMISSIONS
from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers import members
from tests.invitations.conftest import INVITE, RESEND, REVOKE, counts
from tests.people import signed_in

READS = {
    "invitation": "query($id: ID!) { invitation(id: $id) { id email } }",
    "node": "query($id: ID!) { node(id: $id) { id ... on Invitation { email } } }",
}
ORG_INVITATIONS = """query($org: ID!) { organization(id: $org) {
  invitations { totalCount edges { node { id } } } } }"""


@pytest.fixture(params=["org_key", "admin_session"])
async def tenant_a(request, make_org, org_key, settings):
    """A caller scoped to organization A: its API key, or an admin member's session."""
    org = await make_org("A Corp")
    if request.param == "org_key":
        return org, await org_key(org)
    admin = await members.create_member(operator_principal(), org.id, "root@a.test", "admin")
    return org, await signed_in(admin, settings)


async def test_other_organizations_invitations_are_invisible_and_untouchable(
    gql, smtp, make_org, org_key, tenant_a
):
    org_a, caller = tenant_a
    org_b = await make_org("B Corp")
    b_key = await org_key(org_b)
    body = await gql(INVITE, {"i": {"organizationId": org_b.id, "email": "b@b.test"}}, token=b_key)
    b_invitation = body["data"]["createInvitation"]["invitation"]["id"]
    mine = await gql(INVITE, {"i": {"organizationId": org_a.id, "email": "a@a.test"}}, token=caller)
    assert mine["data"]["createInvitation"]["userErrors"] == []
    before = await counts()
    mails = len(smtp.inbox.messages)

    # reads: by root field and by node → null; by nested field → the organization is null
    for query in READS.values():
        body = await gql(query, {"id": b_invitation}, token=caller)
        assert "errors" not in body
        assert next(iter(body["data"].values())) is None
    nested = await gql(ORG_INVITATIONS, {"org": org_b.id}, token=caller)
    assert nested["data"]["organization"] is None
    own = await gql(ORG_INVITATIONS, {"org": org_a.id}, token=caller)
    assert [e["node"]["id"] for e in own["data"]["organization"]["invitations"]["edges"]] == [
        mine["data"]["createInvitation"]["invitation"]["id"]
    ]

    # writes: create in B, resend or revoke B's → not found, nothing changed, no mail
    body = await gql(INVITE, {"i": {"organizationId": org_b.id, "email": "x@b.test"}}, token=caller)
    assert body["data"]["createInvitation"]["userErrors"] == [
        {"field": ["organizationId"], "code": "NOT_FOUND", "message": "Organization not found."}
    ]
    for mutation, name in ((RESEND, "resendInvitation"), (REVOKE, "revokeInvitation")):
        body = await gql(mutation, {"i": {"invitationId": b_invitation}}, token=caller)
        assert body["data"][name] == {
            "invitation": None,
            "userErrors": [
                {"field": ["invitationId"], "code": "NOT_FOUND", "message": "Invitation not found."}
            ],
        }
    assert await counts() == before
    assert len(smtp.inbox.messages) == mails


async def test_permissions_are_checked(gql, smtp, make_org, org_key, settings):
    org = await make_org()
    full = await org_key(org)
    body = await gql(INVITE, {"i": {"organizationId": org.id, "email": "p@x.test"}}, token=full)
    invitation = body["data"]["createInvitation"]["invitation"]["id"]
    read_only = await org_key(org, ["organizations:read", "invitations:read"])
    no_invites = await org_key(org, ["organizations:read", "members:read"])
    member = await members.create_member(operator_principal(), org.id, "m@x.test")
    member_session = await signed_in(member, settings)
    before = await counts()

    # writing needs invitations:write
    for token in (read_only, no_invites, member_session):
        body = await gql(
            INVITE, {"i": {"organizationId": org.id, "email": "q@x.test"}}, token=token
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await gql(REVOKE, {"i": {"invitationId": invitation}}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # reading needs invitations:read (members do not hold it by default)
    for token in (no_invites, member_session):
        body = await gql(READS["invitation"], {"id": invitation}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await gql(ORG_INVITATIONS, {"org": org.id}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(READS["invitation"], {"id": invitation}, token=read_only)
    assert body["data"]["invitation"]["id"] == invitation
    # no credential at all
    body = await gql(INVITE, {"i": {"organizationId": org.id, "email": "q@x.test"}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await counts() == before
    assert len(smtp.inbox.messages) == 1


async def test_nobody_invites_into_a_role_above_their_own(gql, smtp, make_org, org_key):
    # given a key that may invite but holds only the member role's permissions
    org = await make_org()
    inviter = await org_key(org, ["invitations:write", *MEMBER_ROLE_PERMISSIONS])
    before = await counts()

    # when it invites someone as admin → refused; as member → fine
    body = await gql(
        INVITE,
        {"i": {"organizationId": org.id, "email": "me2@x.test", "roleSlug": "admin"}},
        token=inviter,
    )
    assert body["data"]["createInvitation"]["userErrors"] == [
        {
            "field": ["roleSlug"],
            "code": "ROLE_EXCEEDS_CALLER",
            "message": "You cannot invite into a role with permissions you do not hold.",
        }
    ]
    assert await counts() == before
    body = await gql(INVITE, {"i": {"organizationId": org.id, "email": "m@x.test"}}, token=inviter)
    assert body["data"]["createInvitation"]["userErrors"] == []

    # and it cannot resend an admin invitation someone else made
    admin_key = await org_key(org)
    body = await gql(
        INVITE,
        {"i": {"organizationId": org.id, "email": "a@x.test", "roleSlug": "admin"}},
        token=admin_key,
    )
    admin_invitation = body["data"]["createInvitation"]["invitation"]["id"]
    body = await gql(RESEND, {"i": {"invitationId": admin_invitation}}, token=inviter)
    assert body["data"]["resendInvitation"]["userErrors"][0]["code"] == "ROLE_EXCEEDS_CALLER"
