"""mergeUsers: two records of one person become one, and every old way in reaches it."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, LinkedIdentity, Member, Session, User
from gatehouse.resolvers import members
from tests.identity.conftest import oidc_connection

MERGE = """mutation($i: MergeUsersInput!) { mergeUsers(input: $i) {
  user { id email } userErrors { field code } } }"""


async def test_memberships_and_identities_move_and_either_old_identity_reaches_the_target(
    company, provider, sign_in_with_sso, gql, operator_token
):
    # given one person with two records: Ann at Acme (acme.com) and a duplicate at Globex
    # (globex.com, with the address her old employer's IdP still sends), each signed in
    # through its own IdP, and both in Initech
    acme = await company("Acme", "acme.com")
    globex = await company("Globex", "globex.com")
    initech = await company("Initech", "initech.example")
    acme_idp = await oidc_connection(acme, provider)
    globex_idp = await oidc_connection(globex, provider)
    op = operator_principal()
    target = await members.create_member(op, acme.id, "ann@acme.com")
    source = await members.create_member(op, globex.id, "ann@globex.com")
    kept = await members.create_member(op, initech.id, "ann@acme.com")
    dropped = await members.create_member(op, initech.id, "ann@globex.com")
    assert (await sign_in_with_sso(acme_idp, "ann@acme.com", "acme-ann")).issued
    old = await sign_in_with_sso(globex_idp, "ann@globex.com", "globex-ann")
    assert old.issued

    body = await gql(
        MERGE,
        {"i": {"sourceUserId": source.user_id, "targetUserId": target.user_id}},
        token=operator_token,
    )

    assert body["data"]["mergeUsers"] == {
        "user": {"id": target.user_id, "email": "ann@acme.com"},
        "userErrors": [],
    }
    assert not await User.exists(id=source.user_id)
    # Globex's membership moved, with its session; Initech keeps the target's membership
    assert (await Member.get(id=source.id)).user_id == target.user_id
    assert await Session.filter(member_id=source.id).count() == 1
    assert (await Member.get(id=kept.id)).user_id == target.user_id
    assert not await Member.exists(id=dropped.id)
    assert await LinkedIdentity.filter(user_id=target.user_id).count() == 2
    merged = await Event.get(type="user.merged")
    assert merged.data["moved_member_ids"] == [source.id]
    assert merged.data["dropped_member_ids"] == [dropped.id]
    # and both old identities sign in as the target
    via_acme = await sign_in_with_sso(acme_idp, "ann@acme.com", "acme-ann")
    via_globex = await sign_in_with_sso(globex_idp, "ann@globex.com", "globex-ann")
    assert via_acme.body["user"]["id"] == target.user_id
    assert via_globex.issued, via_globex
    assert via_globex.body["user"]["id"] == target.user_id
    assert via_globex.body["member"]["id"] == source.id
    # Globex's IdP does not move her off the address Acme owns
    assert (await User.get(id=target.user_id)).email == "ann@acme.com"


async def test_a_merge_settles_an_email_conflict(company, gql, operator_token):
    # The directory moved Ann to an address a duplicate record held (user.email_conflict).
    acme = await company("Acme", "acme.com")
    op = operator_principal()
    ann = await members.create_member(op, acme.id, "ann@acme.com")
    duplicate = await members.create_member(op, acme.id, "a.archer@acme.com")
    await User.filter(id=ann.user_id).update(pending_email="a.archer@acme.com")

    body = await gql(
        MERGE,
        {"i": {"sourceUserId": duplicate.user_id, "targetUserId": ann.user_id}},
        token=operator_token,
    )

    assert body["data"]["mergeUsers"]["user"] == {"id": ann.user_id, "email": "a.archer@acme.com"}
    user = await User.get(id=ann.user_id)
    assert user.pending_email is None


async def test_merge_refuses_the_same_user_unknown_users_and_non_operators(
    company, gql, operator_token, org_key
):
    acme = await company("Acme", "acme.com")
    op = operator_principal()
    ann = await members.create_member(op, acme.id, "ann@acme.com")
    bob = await members.create_member(op, acme.id, "bob@acme.com")

    same = await gql(
        MERGE,
        {"i": {"sourceUserId": ann.user_id, "targetUserId": ann.user_id}},
        token=operator_token,
    )
    unknown = await gql(
        MERGE,
        {"i": {"sourceUserId": "user_01JZZZZZZZZZZZZZZZZZZZZZZZ", "targetUserId": ann.user_id}},
        token=operator_token,
    )
    scoped = await gql(
        MERGE,
        {"i": {"sourceUserId": bob.user_id, "targetUserId": ann.user_id}},
        token=await org_key(acme),
    )

    assert same["data"]["mergeUsers"]["userErrors"] == [
        {"field": ["targetUserId"], "code": "SAME_USER"}
    ]
    assert unknown["data"]["mergeUsers"]["userErrors"][0]["field"] == ["sourceUserId"]
    assert scoped["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await User.filter(id__in=[ann.user_id, bob.user_id]).count() == 2
    assert await Event.filter(type="user.merged").count() == 0
