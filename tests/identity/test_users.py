"""Users as first-class objects: lookups, the list, profile changes, and organization lookups by
external ID and domain."""

from __future__ import annotations

import asyncio

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, User
from gatehouse.resolvers import members
from gatehouse.resolvers.errors import DomainError
from gatehouse.resolvers.organizations import update_organization
from gatehouse.resolvers.users.lifecycle import update_user

UPDATE = """mutation($i: UpdateUserInput!) { updateUser(input: $i) {
  user { id firstName lastName externalId metadata } userErrors { field code } } }"""
USER = """query($id: ID, $x: String) { user(id: $id, externalId: $x) { id email externalId } }"""
USERS = """query($e: String, $o: ID) { users(email: $e, organizationId: $o) {
  totalCount edges { node { email } } } }"""


async def test_the_operator_updates_a_profile_and_finds_the_person_by_external_id(
    make_org, gql, operator_token
):
    org = await make_org("Acme")
    ann = await members.create_member(operator_principal(), org.id, "ann@acme.com")

    body = await gql(
        UPDATE,
        {
            "i": {
                "userId": ann.user_id,
                "firstName": "Ann",
                "lastName": "Archer",
                "externalId": "crm-42",
                "metadata": {"plan": "gold"},
            }
        },
        token=operator_token,
    )

    assert body["data"]["updateUser"] == {
        "user": {
            "id": ann.user_id,
            "firstName": "Ann",
            "lastName": "Archer",
            "externalId": "crm-42",
            "metadata": {"plan": "gold"},
        },
        "userErrors": [],
    }
    event = await Event.get(type="user.updated")
    assert event.data["external_id"] == "crm-42"
    found = await gql(USER, {"x": "crm-42"}, token=operator_token)
    assert found["data"]["user"] == {
        "id": ann.user_id,
        "email": "ann@acme.com",
        "externalId": "crm-42",
    }


async def test_an_external_id_is_unique_and_bad_input_changes_nothing(
    make_org, gql, operator_token
):
    org = await make_org("Acme")
    op = operator_principal()
    ann = await members.create_member(op, org.id, "ann@acme.com")
    bob = await members.create_member(op, org.id, "bob@acme.com")
    await gql(UPDATE, {"i": {"userId": ann.user_id, "externalId": "x-1"}}, token=operator_token)

    taken = await gql(
        UPDATE, {"i": {"userId": bob.user_id, "externalId": "x-1"}}, token=operator_token
    )
    bad = await gql(
        UPDATE,
        {"i": {"userId": bob.user_id, "firstName": "B" * 101, "metadata": [1]}},
        token=operator_token,
    )
    unknown = await gql(
        UPDATE,
        {"i": {"userId": "user_01J0000000000000000000000", "firstName": "X"}},
        token=operator_token,
    )

    assert taken["data"]["updateUser"]["userErrors"] == [
        {"field": ["externalId"], "code": "EXTERNAL_ID_TAKEN"}
    ]
    assert {e["field"][0] for e in bad["data"]["updateUser"]["userErrors"]} == {
        "firstName",
        "metadata",
    }
    assert unknown["data"]["updateUser"]["userErrors"][0]["code"] in ("NOT_FOUND", "INVALID_ID")
    user = await User.get(id=bob.user_id)
    assert (user.external_id, user.first_name, user.metadata) == (None, None, None)
    assert await Event.filter(type="user.updated").count() == 1


async def test_users_lists_by_email_and_organization(make_org, gql, operator_token):
    acme = await make_org("Acme")
    globex = await make_org("Globex")
    op = operator_principal()
    await members.create_member(op, acme.id, "ann@acme.com")
    await members.create_member(op, globex.id, "gus@globex.com")
    await members.create_member(op, globex.id, "ann@acme.com")

    everyone = await gql(USERS, {}, token=operator_token)
    by_org = await gql(USERS, {"o": acme.id}, token=operator_token)
    by_email = await gql(USERS, {"e": " ANN@acme.com "}, token=operator_token)

    assert everyone["data"]["users"]["totalCount"] == 2
    assert [e["node"]["email"] for e in by_org["data"]["users"]["edges"]] == ["ann@acme.com"]
    assert [e["node"]["email"] for e in by_email["data"]["users"]["edges"]] == ["ann@acme.com"]


async def test_only_the_operator_changes_a_person(make_org, gql, org_key):
    org = await make_org("Acme")
    ann = await members.create_member(operator_principal(), org.id, "ann@acme.com")

    body = await gql(
        UPDATE, {"i": {"userId": ann.user_id, "firstName": "Mallory"}}, token=await org_key(org)
    )

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await User.get(id=ann.user_id)).first_name is None


async def test_organizations_by_external_id_and_by_domain(make_org, gql, operator_token):
    acme = await make_org("Acme")
    await update_organization(operator_principal(), acme.id, external_id="tenant-7")
    await gql(
        "mutation($i: AddDomainInput!) { addDomain(input: $i) { userErrors { code } } }",
        {"i": {"organizationId": acme.id, "domain": "acme.com"}},
        token=operator_token,
    )
    await make_org("Globex")

    body = await gql(
        """query { byExternal: organization(externalId: "tenant-7") { id }
          byDomain: organizations(domain: "ACME.com") { edges { node { id } } }
          noDomain: organizations(domain: "not a domain") { edges { node { id } } } }""",
        token=operator_token,
    )

    assert body["data"]["byExternal"] == {"id": acme.id}
    assert body["data"]["byDomain"]["edges"] == [{"node": {"id": acme.id}}]
    assert body["data"]["noDomain"]["edges"] == []


async def test_two_users_racing_for_one_external_id_one_wins_cleanly(make_org):
    org = await make_org("Acme")
    people = [
        await members.create_member(operator_principal(), org.id, f"p{i}@acme.com")
        for i in range(2)
    ]

    results = await asyncio.gather(
        *(update_user(operator_principal(), p.user_id, external_id="crm-1") for p in people),
        return_exceptions=True,
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1
    assert isinstance(errors[0], DomainError)
    assert errors[0].errors[0].code == "EXTERNAL_ID_TAKEN"
    assert await User.filter(external_id="crm-1").count() == 1
