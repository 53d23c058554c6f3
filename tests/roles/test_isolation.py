"""Isolation: an organization cannot see or change another's custom roles, overrides,
SSO group mappings or members' permissions."""

from __future__ import annotations

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import ConnectionGroupRoleMapping, Event, Role
from gatehouse.resolvers import api_keys, members, roles
from gatehouse.resolvers.sso import group_roles
from tests.roles.conftest import OVERRIDE, RESET, ROLES
from tests.sso.helpers import saml_connection
from tests.sso.saml_idp import make_keypair


@pytest.fixture
async def two(make_org):
    a, b = await make_org("A"), await make_org("B")
    op = operator_principal()
    b_role = await roles.create_role(op, b.id, "auditor", "Auditor", ["members:read"])
    await roles.override_environment_role(op, b.id, "member", ["members:read"])
    b_member = await members.create_member(op, b.id, "staff@b.test", "member")
    b_conn = await saml_connection(b, [make_keypair()])
    await group_roles.set_connection_group_role_mapping(op, b_conn.id, "eng", "auditor", 1)
    _, a_key = await api_keys.create_api_key(op, "a", a.id)
    return {
        "a": a,
        "b": b,
        "b_role": b_role,
        "b_member": b_member,
        "b_conn": b_conn,
        "a_key": a_key,
    }


async def _snapshot():
    return (
        await Role.all().order_by("id").values(),
        await ConnectionGroupRoleMapping.all().order_by("id").values(),
        await Event.all().count(),
    )


async def test_reads_see_nothing_of_another_organization(gql, two):
    key = two["a_key"]
    body = await gql(ROLES, {"id": two["b"].id}, token=key)
    assert body["data"]["organization"] is None
    for object_id in (two["b_role"].id, two["b_conn"].id):
        body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": object_id}, token=key)
        assert body["data"]["node"] is None
    body = await gql(
        'query($m: ID!) { checkPermission(memberId: $m, permission: "members:read") }',
        {"m": two["b_member"].id},
        token=key,
    )
    assert body["data"]["checkPermission"] is False


CHANGES = {
    "overrideEnvironmentRole": (
        OVERRIDE,
        lambda t: {"i": {"organizationId": t["b"].id, "roleSlug": "member", "permissions": []}},
    ),
    "resetEnvironmentRole": (
        RESET,
        lambda t: {"i": {"organizationId": t["b"].id, "roleSlug": "member"}},
    ),
    "updateRole": (
        "mutation($i: UpdateRoleInput!) { updateRole(input: $i) { userErrors { code } } }",
        lambda t: {"i": {"roleId": t["b_role"].id, "permissions": []}},
    ),
    "deleteRole": (
        "mutation($i: DeleteRoleInput!) { deleteRole(input: $i) { userErrors { code } } }",
        lambda t: {"i": {"roleId": t["b_role"].id}},
    ),
    "setConnectionGroupRoleMapping": (
        """mutation($i: SetConnectionGroupRoleMappingInput!) {
        setConnectionGroupRoleMapping(input: $i) { userErrors { code } } }""",
        lambda t: {"i": {"connectionId": t["b_conn"].id, "group": "eng", "roleSlug": "admin"}},
    ),
}


@pytest.mark.parametrize("name", list(CHANGES))
async def test_changes_to_another_organization_read_as_not_found(gql, two, name):
    mutation, variables = CHANGES[name]
    before = await _snapshot()
    body = await gql(mutation, variables(two), token=two["a_key"])
    assert body.get("errors") is None, body
    assert [e["code"] for e in body["data"][name]["userErrors"]] == ["NOT_FOUND"]
    assert await _snapshot() == before


async def test_an_override_in_one_organization_is_its_own(gql, two, operator_token):
    # B overrode `member`; A's copy still has the environment's permissions
    a_member = await Role.get(organization_id=two["a"].id, slug="member")
    b_member = await Role.get(organization_id=two["b"].id, slug="member")
    assert not a_member.overridden
    assert b_member.overridden
    assert a_member.permissions != b_member.permissions
