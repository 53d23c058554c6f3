"""Invite → the mail arrives with a working link → accept over HTTP → member ACTIVE."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Invitation, InvitationState, Member, MemberSource, MemberStatus, User
from gatehouse.resolvers import members
from tests.invitations.conftest import (
    ACCEPT,
    INVITE,
    counts,
    event_types,
    text_of,
    token_in,
)
from tests.people import signed_in


async def test_invite_mail_link_accept_over_http(gql, client, smtp, make_org, org_key):  # noqa: PLR0915 - one journey, in order
    # given an organization and its API key
    org = await make_org("Acme Rockets")
    key = await org_key(org)

    # when an admin invites a person as admin
    body = await gql(
        INVITE,
        {"i": {"organizationId": org.id, "email": " Grace@Example.COM ", "roleSlug": "admin"}},
        token=key,
    )

    # then the invitation is PENDING, sent, and one mail arrived with both parts and the facts
    payload = body["data"]["createInvitation"]
    assert payload["userErrors"] == []
    invitation = payload["invitation"]
    assert invitation["email"] == "grace@example.com"
    assert invitation["state"] == "PENDING"
    assert invitation["role"] == {"slug": "admin"}
    assert invitation["lastSentAt"] is not None
    assert invitation["lastSendError"] is None
    assert invitation["nextSendAt"] is None
    assert len(smtp.inbox.messages) == 1
    mail = smtp.inbox.messages[0]
    assert smtp.inbox.envelopes[0].rcpt_tos == ["grace@example.com"]
    assert mail["Subject"] == "You're invited to join Acme Rockets"
    assert mail["From"] == "Acme Onboarding <onboarding@gatehouse.test>"
    plain, html = text_of(mail), text_of(mail, "html")
    token = token_in(mail)
    for part in (plain, html):
        assert "Acme Rockets" in part
        assert "Admin" in part
        assert f"http://testserver/invitations/{token}" in part
        assert invitation["expiresAt"][:10] in part

    # when the person opens the link: the hosted page shows the invitation, changes nothing
    before = await counts()
    page = await client.get(f"/invitations/{token}")
    assert page.status_code == 200
    assert "Acme Rockets" in page.text
    assert "grace@example.com" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert await counts() == before

    # and submits the form
    accepted = await client.post(
        f"/invitations/{token}", data={"first_name": "Grace", "last_name": "Hopper"}
    )

    # then the member is ACTIVE (source INVITATION) and the invitation ACCEPTED
    assert accepted.status_code == 200, accepted.text
    assert "Welcome to Acme Rockets" in accepted.text
    user = await User.get(email="grace@example.com")
    assert (user.first_name, user.last_name, user.email_verified) == ("Grace", "Hopper", True)
    member = await Member.get(organization_id=org.id, user_id=user.id)
    assert member.status is MemberStatus.ACTIVE
    assert member.source is MemberSource.INVITATION
    stored = await Invitation.get(id=invitation["id"])
    assert stored.state is InvitationState.ACCEPTED
    assert stored.accepted_by_id == user.id
    assert stored.accepted_at is not None
    assert await event_types(org.id) == [
        "invitation.created",
        "invitation.accepted",
        "organization_membership.created",
    ]

    # when the same token is used again, over HTTP and over GraphQL
    after = await counts()
    again = await client.post(f"/invitations/{token}", headers={"accept": "application/json"})
    assert again.status_code == 410
    assert again.json()["error"] == "INVITATION_ACCEPTED"
    body = await gql(ACCEPT, {"i": {"token": token}})
    assert body["data"]["acceptInvitation"]["userErrors"] == [
        {
            "field": ["token"],
            "code": "INVITATION_ACCEPTED",
            "message": "This invitation was already accepted.",
        }
    ]
    assert body["data"]["acceptInvitation"]["sessionToken"] is None

    # then nothing changed
    assert await counts() == after


async def test_accept_over_graphql_returns_member_and_session(gql, smtp, make_org, org_key):
    org = await make_org()
    key = await org_key(org)
    await gql(INVITE, {"i": {"organizationId": org.id, "email": "ada@example.com"}}, token=key)
    token = smtp.inbox.last_token()

    # when accepted without any credential, with names
    body = await gql(ACCEPT, {"i": {"token": token, "firstName": "Ada", "lastName": "King"}})

    # then it returns the member (default role) and a session that works as a credential
    payload = body["data"]["acceptInvitation"]
    assert payload["userErrors"] == []
    assert payload["invitation"]["state"] == "ACCEPTED"
    assert payload["member"]["status"] == "ACTIVE"
    assert payload["member"]["source"] == "INVITATION"
    assert payload["member"]["role"] == {"slug": "member"}
    assert payload["member"]["user"] == {
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "King",
        "emailVerified": True,
    }
    authentication = payload["authentication"]
    assert authentication["authenticationMethod"] == "INVITATION"
    assert authentication["organization"] == {"id": org.id}
    assert authentication["refreshToken"].startswith("rt_")
    # The deprecated field holds the same bearer credential for one more release.
    assert payload["sessionToken"] == authentication["accessToken"]
    viewer = await gql("{ viewer { kind organizationId } }", token=authentication["accessToken"])
    assert viewer["data"]["viewer"] == {"kind": "SESSION", "organizationId": org.id}


async def test_existing_user_keeps_names_and_inviter_is_named(gql, smtp, make_org, settings):
    # given an admin member with a session, and a user who exists elsewhere
    org = await make_org("Initech")
    admin = await members.create_member(
        operator_principal(), org.id, "lead@initech.test", "admin", "Peter", "Gibbons"
    )
    session = await signed_in(admin, settings)
    other = await make_org("Other")
    await members.create_member(operator_principal(), other.id, "milton@x.test", None, "Milton")

    # when the admin (a session) invites that user
    body = await gql(
        INVITE, {"i": {"organizationId": org.id, "email": "milton@x.test"}}, token=session
    )
    assert body["data"]["createInvitation"]["invitation"]["inviter"] == {"id": admin.id}
    mail = smtp.inbox.messages[-1]
    assert "Peter Gibbons invited you to join Initech" in text_of(mail)

    # then accepting keeps the existing user's first name and fills only the missing one
    users_before = await User.all().count()
    body = await gql(
        ACCEPT, {"i": {"token": token_in(mail), "firstName": "Bob", "lastName": "Waddams"}}
    )
    assert body["data"]["acceptInvitation"]["member"]["user"]["firstName"] == "Milton"
    assert body["data"]["acceptInvitation"]["member"]["user"]["lastName"] == "Waddams"
    assert await User.all().count() == users_before


async def test_unknown_or_malformed_token_changes_nothing(gql, client, db):
    before = await counts()
    for token in ("invtok_nope", "", "x" * 500):
        body = await gql(ACCEPT, {"i": {"token": token}})
        assert body["data"]["acceptInvitation"]["userErrors"][0]["code"] == "INVALID_TOKEN"
    page = await client.get("/invitations/invtok_nope")
    assert page.status_code == 404
    assert "Invitation unavailable" in page.text
    posted = await client.post("/invitations/invtok_nope", headers={"accept": "application/json"})
    assert posted.status_code == 404
    assert posted.json() == {
        "error": "INVALID_TOKEN",
        "message": "This invitation link is not valid.",
    }
    assert await counts() == before
