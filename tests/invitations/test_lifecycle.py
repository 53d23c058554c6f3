"""Resend, revoke, expiry (a movable clock, no sleeps), duplicates and bad input."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Invitation, InvitationState
from gatehouse.resolvers import members
from tests.invitations.conftest import ACCEPT, INVITE, RESEND, REVOKE, counts, event_types

LIST = """query($id: ID!, $state: InvitationState) { organization(id: $id) {
  invitations(state: $state) { totalCount edges { node { id state } } } } }"""


async def _invite(gql, key, org, email="lin@example.com", **extra):
    body = await gql(INVITE, {"i": {"organizationId": org.id, "email": email, **extra}}, token=key)
    return body["data"]["createInvitation"]


async def test_resend_rotates_token_and_resets_expiry(gql, smtp, make_org, org_key, clock):
    org = await make_org()
    key = await org_key(org)
    created = (await _invite(gql, key, org, expiresInDays=2))["invitation"]
    old_token = smtp.inbox.last_token()

    # when resent a day later with a new validity
    clock.advance(days=1)
    body = await gql(RESEND, {"i": {"invitationId": created["id"], "expiresInDays": 10}}, token=key)

    # then a second mail with a new token went out, and the expiry counts from now
    payload = body["data"]["resendInvitation"]
    assert payload["userErrors"] == []
    new_token = smtp.inbox.last_token()
    assert len(smtp.inbox.messages) == 2
    assert new_token != old_token
    stored = await Invitation.get(id=created["id"])
    assert abs((stored.expires_at - clock.now()).total_seconds() - 10 * 86400) < 1

    # and the old link is dead while the new one works
    before = await counts()
    old = await gql(ACCEPT, {"i": {"token": old_token}})
    assert old["data"]["acceptInvitation"]["userErrors"][0]["code"] == "INVALID_TOKEN"
    assert await counts() == before
    new = await gql(ACCEPT, {"i": {"token": new_token}})
    assert new["data"]["acceptInvitation"]["userErrors"] == []
    assert await event_types(org.id) == [
        "invitation.created",
        "invitation.resent",
        "invitation.accepted",
        "organization_membership.created",
    ]


async def test_second_invite_resends_the_pending_one(gql, smtp, make_org, org_key):
    org = await make_org()
    key = await org_key(org)
    first = (await _invite(gql, key, org))["invitation"]
    first_token = smtp.inbox.last_token()

    # when the same person is invited again (another role, other casing)
    second = await _invite(gql, key, org, email="LIN@example.com", roleSlug="admin")

    # then it is the same invitation, resent with the new role; the first link is dead
    assert second["userErrors"] == []
    assert second["invitation"]["id"] == first["id"]
    assert second["invitation"]["role"] == {"slug": "admin"}
    assert await Invitation.filter(organization_id=org.id).count() == 1
    assert len(smtp.inbox.messages) == 2
    assert smtp.inbox.last_token() != first_token
    assert await event_types(org.id) == ["invitation.created", "invitation.resent"]
    old = await gql(ACCEPT, {"i": {"token": first_token}})
    assert old["data"]["acceptInvitation"]["userErrors"][0]["code"] == "INVALID_TOKEN"


async def test_revoke_makes_accept_fail(gql, client, smtp, make_org, org_key):
    org = await make_org()
    key = await org_key(org)
    created = (await _invite(gql, key, org))["invitation"]
    token = smtp.inbox.last_token()

    body = await gql(REVOKE, {"i": {"invitationId": created["id"]}}, token=key)
    assert body["data"]["revokeInvitation"]["userErrors"] == []
    assert body["data"]["revokeInvitation"]["invitation"]["state"] == "REVOKED"
    assert body["data"]["revokeInvitation"]["invitation"]["revokedAt"] is not None

    # then accepting, revoking again and resending are all refused, changing nothing
    before = await counts()
    accept = await gql(ACCEPT, {"i": {"token": token}})
    assert accept["data"]["acceptInvitation"]["userErrors"][0]["code"] == "INVITATION_REVOKED"
    again = await gql(REVOKE, {"i": {"invitationId": created["id"]}}, token=key)
    assert again["data"]["revokeInvitation"]["userErrors"][0]["code"] == "ALREADY_REVOKED"
    resend = await gql(RESEND, {"i": {"invitationId": created["id"]}}, token=key)
    assert resend["data"]["resendInvitation"]["userErrors"][0]["code"] == "INVITATION_REVOKED"
    page = await client.post(f"/invitations/{token}", headers={"accept": "application/json"})
    assert (page.status_code, page.json()["error"]) == (410, "INVITATION_REVOKED")
    assert await counts() == before
    assert len(smtp.inbox.messages) == 1
    assert await event_types(org.id) == ["invitation.created", "invitation.revoked"]

    # and a new invitation for the same person is a new row (the revoked one stays revoked)
    fresh = await _invite(gql, key, org)
    assert fresh["invitation"]["id"] != created["id"]


async def test_expired_invitation_shows_expired_and_cannot_be_accepted(
    gql, client, smtp, make_org, org_key, clock
):
    org = await make_org()
    key = await org_key(org)
    created = (await _invite(gql, key, org, expiresInDays=1))["invitation"]
    token = smtp.inbox.last_token()

    # when the clock passes the expiry
    clock.advance(days=1, seconds=1)

    # then it reads EXPIRED, filters as EXPIRED (not PENDING), and cannot be accepted
    expired = await gql(LIST, {"id": org.id, "state": "EXPIRED"}, token=key)
    page = expired["data"]["organization"]["invitations"]
    assert page["totalCount"] == 1
    assert page["edges"][0]["node"] == {"id": created["id"], "state": "EXPIRED"}
    pending = await gql(LIST, {"id": org.id, "state": "PENDING"}, token=key)
    assert pending["data"]["organization"]["invitations"]["totalCount"] == 0
    before = await counts()
    accept = await gql(ACCEPT, {"i": {"token": token}})
    assert accept["data"]["acceptInvitation"]["userErrors"][0]["code"] == "INVITATION_EXPIRED"
    html = await client.get(f"/invitations/{token}")
    assert html.status_code == 410
    assert "expired" in html.text
    assert await counts() == before

    # and a resend revives it with a new link
    body = await gql(RESEND, {"i": {"invitationId": created["id"]}}, token=key)
    assert body["data"]["resendInvitation"]["invitation"]["state"] == "PENDING"
    ok = await gql(ACCEPT, {"i": {"token": smtp.inbox.last_token()}})
    assert ok["data"]["acceptInvitation"]["userErrors"] == []


async def test_bad_input_is_refused_whole_and_changes_nothing(gql, smtp, make_org, org_key):
    org = await make_org()
    key = await org_key(org)
    before = await counts()

    body = await gql(
        INVITE,
        {
            "i": {
                "organizationId": org.id,
                "email": "not-an-email",
                "roleSlug": "ghost",
                "expiresInDays": 31,
            }
        },
        token=key,
    )
    codes = {e["code"] for e in body["data"]["createInvitation"]["userErrors"]}
    assert codes == {"INVALID_EMAIL", "ROLE_NOT_FOUND", "INVALID_EXPIRY"}
    for days in (0, -1, 31):
        body = await _invite(gql, key, org, expiresInDays=days)
        assert body["userErrors"] == [
            {
                "field": ["expiresInDays"],
                "code": "INVALID_EXPIRY",
                "message": "Expiry must be 1-30 days.",
            }
        ]
    body = await _invite(gql, key, org, expiresInDays=30)
    assert body["userErrors"] == []
    for bad_id, code in (("nope", "INVALID_ID"), ("inv_01JABCDEFGHJKMNPQRSTVWXYZ0", "NOT_FOUND")):
        for mutation, name in ((RESEND, "resendInvitation"), (REVOKE, "revokeInvitation")):
            out = await gql(mutation, {"i": {"invitationId": bad_id}}, token=key)
            assert out["data"][name]["userErrors"][0]["code"] == code
    after = await counts()
    assert after["invitations"] == before["invitations"] + 1
    assert after["members"] == before["members"]
    assert len(smtp.inbox.messages) == 1


async def test_active_member_cannot_be_invited_but_inactive_one_is_reactivated(
    gql, smtp, make_org, org_key
):
    org = await make_org()
    key = await org_key(org)
    member = await members.create_member(operator_principal(), org.id, "kim@example.com")
    before = await counts()

    body = await _invite(gql, key, org, email="Kim@Example.com")
    assert body["userErrors"] == [
        {"field": ["email"], "code": "MEMBER_EXISTS", "message": "This person is already a member."}
    ]
    assert await counts() == before
    assert smtp.inbox.messages == []

    # an inactive member may be invited back; accepting reactivates with the invited role
    await members.create_member(operator_principal(), org.id, "admin2@example.com", "admin")
    await members.set_member_status(operator_principal(), member.id, members.MemberStatus.INACTIVE)
    body = await _invite(gql, key, org, email="kim@example.com", roleSlug="admin")
    assert body["userErrors"] == []
    accepted = await gql(ACCEPT, {"i": {"token": smtp.inbox.last_token()}})
    payload = accepted["data"]["acceptInvitation"]
    assert payload["member"]["id"] == member.id
    assert payload["member"]["status"] == "ACTIVE"
    assert payload["member"]["role"] == {"slug": "admin"}
    assert (await event_types(org.id))[-2:] == [
        "invitation.accepted",
        "organization_membership.updated",
    ]


async def test_role_with_pending_invitations_cannot_be_deleted(gql, smtp, make_org, org_key):
    org = await make_org()
    key = await org_key(org)
    role = await gql(
        """mutation($org: ID!) { createRole(input: {organizationId: $org, slug: "viewer",
           name: "Viewer", permissions: []}) { role { id } userErrors { code } } }""",
        {"org": org.id},
        token=key,
    )
    role_id = role["data"]["createRole"]["role"]["id"]
    created = (await _invite(gql, key, org, roleSlug="viewer"))["invitation"]
    delete = """mutation($id: ID!) { deleteRole(input: {roleId: $id}) { userErrors { code } } }"""
    body = await gql(delete, {"id": role_id}, token=key)
    assert body["data"]["deleteRole"]["userErrors"] == [{"code": "ROLE_IN_USE"}]
    await gql(REVOKE, {"i": {"invitationId": created["id"]}}, token=key)
    body = await gql(delete, {"id": role_id}, token=key)
    assert body["data"]["deleteRole"]["userErrors"] == []
    stored = await Invitation.get(id=created["id"])
    assert stored.role_id is None
    assert stored.state is InvitationState.REVOKED
