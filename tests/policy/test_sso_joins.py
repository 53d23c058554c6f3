"""How a newcomer joins through the organization's SSO: a pending invitation first (with the
invited role, JIT or not), then JIT where both the organization and the connection allow it."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    Event,
    Invitation,
    InvitationState,
    Member,
    MemberSource,
    Role,
    User,
)
from gatehouse.resolvers import members
from tests.policy.conftest import oidc_connection, verified_domain

UPDATE = """mutation($i: UpdateConnectionInput!) { updateConnection(input: $i) {
  connection { id jitProvisioning } userErrors { code } } }"""


async def _acme(make_org, provider, *, jit: bool):
    acme = await make_org("Acme")
    acme.jit_provisioning = jit
    await acme.save()
    await verified_domain(acme, "acme.com")
    await members.create_member(operator_principal(), acme.id, "boss@acme.com", "admin")
    return acme, await oidc_connection(acme, provider)


async def test_a_pending_invitation_is_accepted_by_sso_with_jit_off(
    make_org, provider, invite, sign_in_with_sso
):
    acme, conn = await _acme(make_org, provider, jit=False)
    await invite(acme, "ivy@acme.com", "admin")

    outcome = await sign_in_with_sso(conn, "ivy@acme.com", "okta-ivy")

    assert outcome.issued, outcome
    member = await Member.get(organization_id=acme.id, user__email="ivy@acme.com")
    assert member.source is MemberSource.INVITATION
    assert (await Role.get(id=member.role_id)).slug == "admin"  # the invited role
    assert outcome.body["member"]["role"] == "admin"
    invitation = await Invitation.get(organization_id=acme.id, email="ivy@acme.com")
    assert invitation.state is InvitationState.ACCEPTED
    assert invitation.accepted_by_id == member.user_id
    accepted = await Event.get(type="invitation.accepted")
    assert accepted.data["member_id"] == member.id


async def test_without_an_invitation_and_with_jit_off_sso_is_refused_as_before(
    make_org, provider, invite, sign_in_with_sso
):
    acme, conn = await _acme(make_org, provider, jit=False)
    await invite(acme, "someone-else@acme.com")

    outcome = await sign_in_with_sso(conn, "ivy@acme.com", "okta-ivy")

    assert outcome.status == 403
    assert outcome.body["error"] == "invitation_required"
    assert await User.filter(email="ivy@acme.com").count() == 0
    assert (await Invitation.get(organization_id=acme.id)).state is InvitationState.PENDING


async def test_a_revoked_or_expired_invitation_does_not_let_sso_in(
    make_org, provider, invite, sign_in_with_sso, gql, operator_token
):
    acme, conn = await _acme(make_org, provider, jit=False)
    await invite(acme, "ivy@acme.com")
    invitation = await Invitation.get(organization_id=acme.id)
    body = await gql(
        "mutation($i: RevokeInvitationInput!) { revokeInvitation(input: $i) { userErrors { code } } }",
        {"i": {"invitationId": invitation.id}},
        token=operator_token,
    )
    assert body["data"]["revokeInvitation"]["userErrors"] == []

    outcome = await sign_in_with_sso(conn, "ivy@acme.com", "okta-ivy")

    assert outcome.body["error"] == "invitation_required"


async def test_jit_can_be_turned_off_for_one_connection(
    make_org, provider, sign_in_with_sso, gql, operator_token
):
    acme, conn = await _acme(make_org, provider, jit=True)
    body = await gql(
        UPDATE, {"i": {"connectionId": conn.id, "jitProvisioning": False}}, token=operator_token
    )
    assert body["data"]["updateConnection"] == {
        "connection": {"id": conn.id, "jitProvisioning": False},
        "userErrors": [],
    }

    refused = await sign_in_with_sso(conn, "jo@acme.com", "okta-jo")

    assert refused.body["error"] == "invitation_required"
    assert await User.filter(email="jo@acme.com").count() == 0

    body = await gql(
        UPDATE, {"i": {"connectionId": conn.id, "jitProvisioning": True}}, token=operator_token
    )
    assert body["data"]["updateConnection"]["connection"]["jitProvisioning"] is True
    joined = await sign_in_with_sso(conn, "jo@acme.com", "okta-jo")
    assert joined.issued, joined
    member = await Member.get(organization_id=acme.id, user__email="jo@acme.com")
    assert member.source is MemberSource.JIT


async def test_the_connection_switch_does_not_override_the_organizations_policy(
    make_org, provider, sign_in_with_sso
):
    # JIT on the connection (its default) and off in the policy: no JIT.
    _, conn = await _acme(make_org, provider, jit=False)
    assert conn.jit_provisioning

    outcome = await sign_in_with_sso(conn, "jo@acme.com", "okta-jo")

    assert outcome.body["error"] == "invitation_required"
