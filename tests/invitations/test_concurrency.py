"""Ten concurrent accepts of one token: exactly one member, one success (SECURITY.md 44)."""

from __future__ import annotations

import asyncio

from gatehouse.auth.secrets import hash_secret
from gatehouse.models import Event, Invitation, InvitationState, Member, Session, User
from tests.invitations.conftest import ACCEPT, INVITE, token_in


async def test_concurrent_accepts_yield_exactly_one_member(gql, smtp, make_org, org_key):
    org = await make_org()
    key = await org_key(org)
    body = await gql(
        INVITE, {"i": {"organizationId": org.id, "email": "race@example.com"}}, token=key
    )
    invitation_id = body["data"]["createInvitation"]["invitation"]["id"]
    token = smtp.inbox.last_token()

    # when ten clients accept the same token at once
    results = await asyncio.gather(*(gql(ACCEPT, {"i": {"token": token}}) for _ in range(10)))

    # then exactly one succeeded and the other nine were told it was already accepted
    payloads = [r["data"]["acceptInvitation"] for r in results]
    winners = [p for p in payloads if not p["userErrors"]]
    losers = [p for p in payloads if p["userErrors"]]
    assert len(winners) == 1
    assert {p["userErrors"][0]["code"] for p in losers} == {"INVITATION_ACCEPTED"}
    assert all(p["sessionToken"] is None and p["member"] is None for p in losers)
    assert await Member.filter(organization_id=org.id).count() == 1
    assert await User.filter(email="race@example.com").count() == 1
    assert await Session.all().count() == 1
    assert (await Invitation.get(id=invitation_id)).state is InvitationState.ACCEPTED
    assert await Event.filter(type="invitation.accepted").count() == 1
    assert await Event.filter(type="organization_membership.created").count() == 1


async def test_concurrent_invites_of_one_person_make_one_invitation(gql, smtp, make_org, org_key):
    org = await make_org()
    key = await org_key(org)

    # when five admins invite the same person at once
    results = await asyncio.gather(
        *(
            gql(INVITE, {"i": {"organizationId": org.id, "email": "dup@example.com"}}, token=key)
            for _ in range(5)
        )
    )

    # then one invitation: created once, resent four times; only one mailed link is live
    payloads = [r["data"]["createInvitation"] for r in results]
    assert all(p["userErrors"] == [] for p in payloads)
    assert len({p["invitation"]["id"] for p in payloads}) == 1
    assert await Invitation.filter(organization_id=org.id).count() == 1
    types = [e.type for e in await Event.filter(organization_id=org.id).order_by("id")]
    assert types.count("invitation.created") == 1
    assert types.count("invitation.resent") == 4
    assert len(smtp.inbox.messages) == 5
    stored = await Invitation.get(organization_id=org.id)
    live = [m for m in smtp.inbox.messages if hash_secret(token_in(m)) == stored.token_hash]
    assert len(live) == 1
