"""Every mutation leaves exactly its event in the outbox, and none when it fails."""

from __future__ import annotations

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event
from gatehouse.resolvers import api_keys, members, roles


@pytest.fixture
async def world(make_org):
    org = await make_org("Acme")
    op = operator_principal()
    admin = await members.create_member(op, org.id, "admin@acme.example", "admin")
    member = await members.create_member(op, org.id, "m@acme.example", "member")
    role = await roles.create_role(op, org.id, "auditor", "Auditor", ["members:read"])
    key, _ = await api_keys.create_api_key(op, "k", org.id)
    return {"org": org, "admin": admin, "member": member, "role": role, "key": key}


# name → (mutation, target id key, expected event type)
CASES = {
    "createOrganization": (
        'mutation { createOrganization(input: {name: "B"}) { userErrors { code } } }',
        None,
        "organization.created",
    ),
    "updateOrganization": (
        "mutation($id: ID!) { updateOrganization(input: {id: $id, "
        'name: "A2"}) { userErrors { code } } }',
        "org",
        "organization.updated",
    ),
    "updateOrganizationPolicy": (
        "mutation($id: ID!) { updateOrganizationPolicy(input: "
        "{organizationId: $id, jitProvisioning: true}) "
        "{ userErrors { code } } }",
        "org",
        "organization.updated",
    ),
    "deleteOrganization": (
        "mutation($id: ID!) { deleteOrganization(input: {id: $id}) { userErrors { code } } }",
        "org",
        "organization.deleted",
    ),
    "createMember": (
        "mutation($id: ID!) { createMember(input: {organizationId: $id, "
        'email: "new@acme.example"}) { userErrors { code } } }',
        "org",
        "organization_membership.created",
    ),
    "updateMemberRole": (
        "mutation($id: ID!) { updateMemberRole(input: {memberId: $id, "
        'roleSlug: "auditor"}) { userErrors { code } } }',
        "member",
        "organization_membership.updated",
    ),
    "deactivateMember": (
        "mutation($id: ID!) { deactivateMember(input: {memberId: $id}) { userErrors { code } } }",
        "member",
        "organization_membership.updated",
    ),
    "removeMember": (
        "mutation($id: ID!) { removeMember(input: {memberId: $id}) { userErrors { code } } }",
        "member",
        "organization_membership.deleted",
    ),
    "createRole": (
        'mutation($id: ID!) { createRole(input: {organizationId: $id, slug: "x", '
        'name: "X", permissions: ["members:read"]}) { userErrors { code } } }',
        "org",
        "role.created",
    ),
    "updateRole": (
        'mutation($id: ID!) { updateRole(input: {roleId: $id, name: "Aud"}) '
        "{ userErrors { code } } }",
        "role",
        "role.updated",
    ),
    "deleteRole": (
        "mutation($id: ID!) { deleteRole(input: {roleId: $id}) { userErrors { code } } }",
        "role",
        "role.deleted",
    ),
    "createApiKey": (
        'mutation($id: ID!) { createApiKey(input: {name: "k2", '
        "organizationId: $id}) { userErrors { code } } }",
        "org",
        "api_key.created",
    ),
    "revokeApiKey": (
        "mutation($id: ID!) { revokeApiKey(input: {apiKeyId: $id}) { userErrors { code } } }",
        "key",
        "api_key.revoked",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_mutation_writes_exactly_its_event(gql, operator_token, world, name):
    mutation, target, event_type = CASES[name]
    before = {e.id for e in await Event.all()}
    variables = {"id": world[target].id} if target else None
    body = await gql(mutation, variables, token=operator_token)
    assert body["data"][name]["userErrors"] == []
    new = [e for e in await Event.all().order_by("id") if e.id not in before]
    assert [e.type for e in new] == [event_type]
    assert "secret" not in str(new[0].data).lower()


async def test_reactivate_writes_its_event(gql, operator_token, world):
    await members.set_member_status(
        operator_principal(), world["member"].id, members.MemberStatus.INACTIVE
    )
    before = await Event.all().count()
    body = await gql(
        "mutation($id: ID!) { reactivateMember(input: {memberId: $id}) "
        "{ member { status } userErrors { code } } }",
        {"id": world["member"].id},
        token=operator_token,
    )
    assert body["data"]["reactivateMember"]["member"]["status"] == "ACTIVE"
    assert [e.type for e in (await Event.all().order_by("id"))[before:]] == [
        "organization_membership.updated"
    ]


FAILING = {
    "createOrganization": (
        'mutation { createOrganization(input: {name: "  "}) { userErrors { code } } }',
        None,
        "REQUIRED",
    ),
    "updateMemberRole": (
        "mutation($id: ID!) { updateMemberRole(input: {memberId: $id, "
        'roleSlug: "nope"}) { userErrors { code } } }',
        "member",
        "ROLE_NOT_FOUND",
    ),
    "removeMember": (
        "mutation($id: ID!) { removeMember(input: {memberId: $id}) { userErrors { code } } }",
        "admin",
        "LAST_ADMIN",
    ),
    "deleteRole": (
        "mutation($id: ID!) { deleteRole(input: {roleId: $id}) { userErrors { code } } }",
        "member",
        "INVALID_ID",
    ),
    "createRole": (
        "mutation($id: ID!) { createRole(input: {organizationId: $id, "
        'slug: "auditor", name: "Dup", permissions: []}) '
        "{ userErrors { code } } }",
        "org",
        "ROLE_SLUG_TAKEN",
    ),
}


@pytest.mark.parametrize("name", list(FAILING))
async def test_failed_mutation_writes_no_event(gql, operator_token, world, name):
    mutation, target, code = FAILING[name]
    before = await Event.all().count()
    variables = {"id": world[target].id} if target else None
    body = await gql(mutation, variables, token=operator_token)
    assert [e["code"] for e in body["data"][name]["userErrors"]] == [code]
    assert await Event.all().count() == before
