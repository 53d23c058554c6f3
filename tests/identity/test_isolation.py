"""Tenant isolation for people: an organization's key sees its own members' users only, finds
nothing of another organization by external ID or domain, and changes no person."""

from __future__ import annotations

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, User
from gatehouse.resolvers import members
from gatehouse.resolvers.organizations import update_organization
from gatehouse.resolvers.users.lifecycle import update_user


@pytest.fixture
async def two(company, org_key):
    a = await company("A", "a.example")
    b = await company("B", "b.example")
    op = operator_principal()
    ann = await members.create_member(op, a.id, "ann@a.example")
    bob = await members.create_member(op, b.id, "bob@b.example")
    await update_user(op, bob.user_id, external_id="crm-bob")
    await update_organization(op, b.id, external_id="tenant-b")
    return {"a": a, "b": b, "ann": ann, "bob": bob, "token": await org_key(a)}


async def test_reads_show_nothing_of_another_organizations_people(two, gql):
    bob = two["bob"].user_id
    body = await gql(
        """query($id: ID!, $b: ID!) {
          byId: user(id: $id) { id }
          byExternal: user(externalId: "crm-bob") { id }
          everyone: users { edges { node { id } } }
          theirs: users(organizationId: $b) { edges { node { id } } }
          byEmail: users(email: "bob@b.example") { edges { node { id } } }
          org: organization(externalId: "tenant-b") { id }
          orgs: organizations(domain: "b.example") { edges { node { id } } } }""",
        {"id": bob, "b": two["b"].id},
        token=two["token"],
    )

    assert body.get("errors") is None, body
    data = body["data"]
    assert data["byId"] is None
    assert data["byExternal"] is None
    ids = {e["node"]["id"] for e in data["everyone"]["edges"]}
    assert bob not in ids
    assert two["ann"].user_id in ids
    assert data["theirs"]["edges"] == []
    assert data["byEmail"]["edges"] == []
    assert data["org"] is None
    assert data["orgs"]["edges"] == []


@pytest.mark.parametrize(
    ("name", "mutation"),
    [
        ("updateUser", 'updateUser(input: {userId: $id, firstName: "X"}) { userErrors { code } }'),
        (
            "mergeUsers",
            "mergeUsers(input: {sourceUserId: $id, targetUserId: $mine}) { userErrors { code } }",
        ),
        ("deleteUser", "deleteUser(input: {userId: $id}) { userErrors { code } }"),
    ],
)
async def test_an_organization_key_changes_no_person(two, gql, name, mutation):
    before = (await User.all().order_by("id").values(), await Event.all().count())

    mine = "$mine" in mutation
    definitions = "$id: ID!, $mine: ID!" if mine else "$id: ID!"
    variables = {"id": two["bob"].user_id} | ({"mine": two["ann"].user_id} if mine else {})

    body = await gql(f"mutation({definitions}) {{ {mutation} }}", variables, token=two["token"])

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await User.all().order_by("id").values(), await Event.all().count()) == before


async def test_export_user_is_refused_to_an_organization_key(two, gql):
    body = await gql(
        "query($id: ID!) { exportUser(userId: $id) }",
        {"id": two["ann"].user_id},
        token=two["token"],
    )
    assert body["data"] == {"exportUser": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
