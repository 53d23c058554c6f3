"""The linking rule for directories: an organization's directory links to an existing person
only through an address at a domain the organization verified, or once the person proved it."""

from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import DirectoryUser, MemberSource, MemberStatus, User
from gatehouse.resolvers import members
from tests.identity.conftest import member_of, scim_user

DIRECTORY_USERS = """query($id: ID!) { node(id: $id) { ... on Directory {
  users { edges { node { email firstName awaitingProof member { id } } } } } } }"""
USER_READS = """query($id: ID!) { user(id: $id) { id firstName } node(id: $id) { id }
  users { edges { node { id } } } }"""


async def test_a_directory_never_links_to_a_person_at_another_organizations_domain(
    company, make_directory, gql, org_key
):
    # given Bob, a member of B (which verified b.example), with the names B's records hold
    b = await company("B", "b.example")
    bob = await members.create_member(
        operator_principal(), b.id, "bob@b.example", first_name="Robert", last_name="Private"
    )
    a = await company("A", "a.example")
    scim = await make_directory(a)

    # when A's directory pushes bob@b.example under other names
    pushed = await scim.create_user(
        "bob@b.example",
        name={"givenName": "Evil", "familyName": "Twin"},
        **scim_user("bob@b.example"),
    )

    # then the IdP sees success, but A gets no member and B's person is untouched
    assert pushed["userName"] == "bob@b.example"
    assert await member_of(a, "bob@b.example") is None
    diru = await DirectoryUser.get(id=pushed["id"])
    assert diru.awaiting_proof
    assert diru.user_id is None
    user = await User.get(id=bob.user_id)
    assert (user.first_name, user.last_name) == ("Robert", "Private")
    # and nothing B set is readable through A
    token = await org_key(a)
    body = await gql(DIRECTORY_USERS, {"id": scim.directory_id}, token=token)
    [edge] = body["data"]["node"]["users"]["edges"]
    assert edge["node"] == {
        "email": "bob@b.example",
        "firstName": "Evil",
        "awaitingProof": True,
        "member": None,
    }
    body = await gql(USER_READS, {"id": bob.user_id}, token=token)
    assert body["data"]["user"] is None
    assert body["data"]["node"] is None
    assert bob.user_id not in {e["node"]["id"] for e in body["data"]["users"]["edges"]}


async def test_a_held_person_joins_once_they_prove_the_address(
    company, make_directory, sign_in_with_code
):
    b = await company("B", "b.example")
    await members.create_member(operator_principal(), b.id, "bob@b.example")
    a = await company("A", "a.example")
    scim = await make_directory(a)
    pushed = await scim.create_user("bob@b.example", **scim_user("bob@b.example"))

    # when Bob signs in with an emailed code (into B, where he works)
    payload = await sign_in_with_code("bob@b.example", b.id)

    # then A's directory user links to him, and A has its member
    assert payload["userErrors"] == []
    member = await member_of(a, "bob@b.example")
    assert member is not None
    assert (member.status, member.source) == (MemberStatus.ACTIVE, MemberSource.DIRECTORY)
    diru = await DirectoryUser.get(id=pushed["id"])
    assert not diru.awaiting_proof
    assert diru.member_id == member.id


async def test_a_held_address_nobody_holds_yet_joins_on_an_accepted_invitation(
    company, make_directory, invite, gql
):
    # B verified b.example but has no Carol yet; A's directory pushes her first.
    b = await company("B", "b.example")
    a = await company("A", "a.example")
    scim = await make_directory(a)
    await scim.create_user("carol@b.example", **scim_user("carol@b.example"))
    assert await User.filter(email="carol@b.example").count() == 0  # not A's to create

    token = await invite(b, "carol@b.example")
    body = await gql(
        "mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { userErrors { code } } }",
        {"i": {"token": token}},
    )

    assert body["data"]["acceptInvitation"]["userErrors"] == []
    assert await member_of(a, "carol@b.example") is not None
    assert await member_of(b, "carol@b.example") is not None
    assert await User.filter(email="carol@b.example").count() == 1


async def test_a_directory_links_within_its_own_verified_domain(company, make_directory):
    a = await company("A", "a.example")
    other = await company("Other", "other.example")
    existing = await members.create_member(operator_principal(), other.id, "dee@a.example")
    scim = await make_directory(a)

    await scim.create_user("dee@a.example", **scim_user("dee@a.example"))

    member = await member_of(a, "dee@a.example")
    assert member is not None
    assert member.user_id == existing.user_id


async def test_an_existing_person_at_an_unverified_domain_is_held_a_new_address_is_created(
    company, make_directory
):
    a = await company("A", "a.example")
    other = await company("Other", "other.example")
    await members.create_member(operator_principal(), other.id, "eve@freemail.example")
    scim = await make_directory(a)

    held = await scim.create_user("eve@freemail.example", **scim_user("eve@freemail.example"))
    fresh = await scim.create_user("finn@freemail.example", **scim_user("finn@freemail.example"))

    assert (await DirectoryUser.get(id=held["id"])).awaiting_proof
    assert await member_of(a, "eve@freemail.example") is None
    assert not (await DirectoryUser.get(id=fresh["id"])).awaiting_proof
    assert await member_of(a, "finn@freemail.example") is not None


CREATE_MEMBER = """mutation($i: CreateMemberInput!) { createMember(input: $i) {
  member { id user { id firstName } } userErrors { code field } } }"""


async def test_an_organization_key_cannot_add_another_tenants_person_by_email(
    company, gql, org_key
):
    b = await company("B", "b.example")
    bob = await members.create_member(
        operator_principal(), b.id, "bob@b.example", first_name="Robert"
    )
    a = await company("A", "a.example")
    token = await org_key(a)

    # when A's key adds bob@b.example directly (not by invitation, so nothing is proven)
    body = await gql(
        CREATE_MEMBER, {"i": {"organizationId": a.id, "email": "bob@b.example"}}, token=token
    )

    # then it is refused and A gets no link to B's person
    payload = body["data"]["createMember"]
    assert payload["member"] is None
    assert payload["userErrors"] == [{"code": "EMAIL_NOT_LINKABLE", "field": ["email"]}]
    assert await member_of(a, "bob@b.example") is None

    # while an address at A's own domain, already held by a person elsewhere, links
    other = await members.create_member(operator_principal(), b.id, "dee@a.example")
    body = await gql(
        CREATE_MEMBER, {"i": {"organizationId": a.id, "email": "dee@a.example"}}, token=token
    )
    assert body["data"]["createMember"]["userErrors"] == []
    assert body["data"]["createMember"]["member"]["user"]["id"] == other.user_id
    assert bob.user_id != other.user_id
