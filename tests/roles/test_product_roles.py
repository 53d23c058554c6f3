"""Product permissions in environment roles: every organization has them, overrides stay local,
one change reaches everyone at once and shows in the next access token."""

from __future__ import annotations

from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS
from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, Role
from gatehouse.resolvers import members
from tests.people import signed_in
from tests.roles.conftest import (
    CREATE_ENV_ROLE,
    CREATE_PERMISSION,
    OVERRIDE,
    RESET,
    UPDATE_ENV_ROLE,
    claims_of,
)

CREATE_ORG = """mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
  organization { id } userErrors { code } } }"""
CHECK = "query($m: ID!, $p: String!) { checkPermission(memberId: $m, permission: $p) }"
REFRESH = """mutation($i: RefreshSessionInput!) { refreshSession(input: $i) {
  authentication { accessToken refreshToken } userErrors { code } } }"""


async def _editor(op, permissions=("videos:create", "members:read")):
    created = await op(
        CREATE_PERMISSION,
        {"i": {"slug": "videos:create", "name": "Create videos", "description": "Upload."}},
    )
    assert created["userErrors"] == [], created
    role = await op(
        CREATE_ENV_ROLE, {"i": {"slug": "editor", "name": "Editor", "permissions": permissions}}
    )
    assert role["userErrors"] == [], role
    return role["environmentRole"]


async def test_environment_role_with_a_product_permission_reaches_a_new_organization_and_token(
    op, org_roles, gql, settings
):
    # given videos:create, put in an environment role beside a Gatehouse permission
    role = await _editor(op)
    assert role["permissions"] == ["members:read", "videos:create"]

    # when an organization is created
    created = await op(CREATE_ORG, {"i": {"name": "Acme"}})
    org_id = created["organization"]["id"]

    # then the role is there, as an environment role
    roles = await org_roles(org_id)
    assert set(roles) == {"admin", "member", "editor"}
    assert roles["editor"]["permissions"] == ["members:read", "videos:create"]
    assert roles["editor"]["environmentRole"] is True
    assert roles["editor"]["overridden"] is False

    # and a member with it gets videos:create in the access token, viewer and checkPermission
    member = await members.create_member(operator_principal(), org_id, "eve@acme.test", "editor")
    token = await signed_in(member, settings)
    claims = claims_of(token)
    assert claims["role"] == "editor"
    assert "videos:create" in claims["permissions"]
    viewer = await gql("{ viewer { permissions } }", token=token)
    assert "videos:create" in viewer["data"]["viewer"]["permissions"]
    # Gatehouse's own checks see its permissions from the same role: members:read
    found = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": member.id}, token=token)
    assert found["data"]["node"] == {"id": member.id}
    for permission, held in (("videos:create", True), ("billing:manage", False)):
        body = await op(CHECK, {"m": member.id, "p": permission})
        assert body is held


async def test_an_environment_role_reaches_organizations_created_before_it(op, make_org, org_roles):
    earlier = [await make_org("One"), await make_org("Two")]
    await _editor(op)
    for org in earlier:
        assert (await org_roles(org.id))["editor"]["permissions"] == [
            "members:read",
            "videos:create",
        ]
    events = await Event.filter(type="environment_role.created").values_list("data", flat=True)
    assert [e["organizations"] for e in events] == [2]


async def test_an_override_stays_in_its_organization(op, make_org, org_roles, gql, settings):
    a, b, c = await make_org("A"), await make_org("B"), await make_org("C")
    await _editor(op)
    # given a member of A signed in with the environment's editor
    member = await members.create_member(operator_principal(), a.id, "ann@a.test", "editor")
    first = await signed_in(member, settings)
    assert "videos:create" in claims_of(first)["permissions"]

    # when B overrides the editor role
    override = await op(
        OVERRIDE,
        {"i": {"organizationId": b.id, "roleSlug": "editor", "permissions": ["members:read"]}},
    )
    assert override["userErrors"] == []
    assert override["role"]["overridden"] is True

    # then A and C are unchanged
    for org in (a, c):
        assert (await org_roles(org.id))["editor"]["permissions"] == [
            "members:read",
            "videos:create",
        ]
    assert (await org_roles(b.id))["editor"]["permissions"] == ["members:read"]

    # when the environment role changes: every organization that did not override, at once
    before = await Event.all().count()
    updated = await op(
        UPDATE_ENV_ROLE,
        {"i": {"roleSlug": "editor", "permissions": ["videos:create", "domains:read"]}},
    )
    assert updated["userErrors"] == []
    for org in (a, c):
        assert (await org_roles(org.id))["editor"]["permissions"] == [
            "domains:read",
            "videos:create",
        ]
    assert (await org_roles(b.id))["editor"]["permissions"] == ["members:read"]
    # one event for the change, not one per organization
    assert await Event.all().count() == before + 1
    event = await Event.filter(type="environment_role.updated").get()
    assert event.organization_id is None
    assert event.data["organizations_changed"] == 2

    # and the member's next access token carries the new permissions
    again = await signed_in(member, settings)
    assert claims_of(again)["permissions"] == ["domains:read", "videos:create"]
    viewer = await gql("{ viewer { permissions } }", token=first)
    assert viewer["data"]["viewer"]["permissions"] == ["domains:read", "videos:create"]

    # when B resets, it follows the environment again
    reset = await op(RESET, {"i": {"organizationId": b.id, "roleSlug": "editor"}})
    assert reset["role"] == {
        "slug": "editor",
        "permissions": ["domains:read", "videos:create"],
        "environmentRole": True,
        "overridden": False,
    }


async def test_refreshing_a_session_carries_the_changed_role(op, make_org, settings):
    org = await make_org()
    await _editor(op)
    member = await members.create_member(operator_principal(), org.id, "rae@acme.test", "editor")
    from gatehouse.models import AuthenticationMethod
    from gatehouse.resolvers.sign_in.authentication import authenticate_member

    auth = await authenticate_member(member, AuthenticationMethod.INVITATION, settings)
    await op(UPDATE_ENV_ROLE, {"i": {"roleSlug": "editor", "permissions": ["members:read"]}})
    refreshed = await op(REFRESH, {"i": {"refreshToken": auth.refresh_token}})
    assert refreshed["userErrors"] == []
    claims = claims_of(refreshed["authentication"]["accessToken"])
    assert claims["permissions"] == ["members:read"]


async def test_permission_rules(op, make_org):
    org = await make_org()
    cases = [
        ({"slug": "members:read", "name": "x"}, "PERMISSION_RESERVED"),
        ({"slug": "Videos Create", "name": "x"}, "INVALID_SLUG"),
        ({"slug": "a:b:c:d", "name": "x"}, "INVALID_SLUG"),
        ({"slug": "videos:view", "name": ""}, "REQUIRED"),
        ({"slug": "videos:view", "name": "x", "description": "d" * 501}, "TOO_LONG"),
    ]
    for given, code in cases:
        body = await op(CREATE_PERMISSION, {"i": given})
        assert [e["code"] for e in body["userErrors"]] == [code], (given, body)
    await _editor(op)
    again = await op(CREATE_PERMISSION, {"i": {"slug": "videos:create", "name": "Again"}})
    assert [e["code"] for e in again["userErrors"]] == ["PERMISSION_SLUG_TAKEN"]

    # a custom role may hold both namespaces; an undefined product permission is refused
    create_role = """mutation($i: CreateRoleInput!) { createRole(input: $i) {
      role { permissions } userErrors { code } } }"""
    ok = await op(
        create_role,
        {
            "i": {
                "organizationId": org.id,
                "slug": "uploader",
                "name": "Uploader",
                "permissions": ["videos:create", "members:read"],
            }
        },
    )
    assert ok["role"]["permissions"] == ["members:read", "videos:create"]
    unknown = await op(
        create_role,
        {
            "i": {
                "organizationId": org.id,
                "slug": "biller",
                "name": "Biller",
                "permissions": ["billing:manage"],
            }
        },
    )
    assert [e["code"] for e in unknown["userErrors"]] == ["INVALID_PERMISSION"]

    # deleting a permission a role holds is refused, naming the roles
    permission_id = (await op("{ permissions { id slug } }", {}))[0]["id"]
    delete = """mutation($i: DeletePermissionInput!) { deletePermission(input: $i) {
      deletedId userErrors { code message } } }"""
    refused = await op(delete, {"i": {"permissionId": permission_id}})
    assert [e["code"] for e in refused["userErrors"]] == ["PERMISSION_IN_USE"]
    assert "editor" in refused["userErrors"][0]["message"]
    assert "uploader" in refused["userErrors"][0]["message"]

    # taken out of every role, it can go
    await op(UPDATE_ENV_ROLE, {"i": {"roleSlug": "editor", "permissions": ["members:read"]}})
    await Role.filter(slug="uploader").update(permissions=["members:read"])
    deleted = await op(delete, {"i": {"permissionId": permission_id}})
    assert deleted == {"deletedId": permission_id, "userErrors": []}
    assert await op("{ permissions { slug } }", {}) == []

    update = """mutation($i: UpdatePermissionInput!) { updatePermission(input: $i) {
      permission { slug name description } userErrors { code } } }"""
    gone = await op(update, {"i": {"permissionId": permission_id, "name": "x"}})
    assert [e["code"] for e in gone["userErrors"]] == ["NOT_FOUND"]
    fresh = await op(CREATE_PERMISSION, {"i": {"slug": "billing:manage", "name": "Billing"}})
    renamed = await op(
        update,
        {"i": {"permissionId": fresh["permission"]["id"], "description": "Invoices and cards."}},
    )
    assert renamed["permission"] == {
        "slug": "billing:manage",
        "name": "Billing",
        "description": "Invoices and cards.",
    }


async def test_environment_roles_start_with_admin_and_member(op):
    roles = await op("{ environmentRoles { slug builtIn isDefault permissions } }", {})
    assert [(r["slug"], r["builtIn"], r["isDefault"]) for r in roles] == [
        ("admin", True, False),
        ("member", True, True),
    ]
    assert set(roles[0]["permissions"]) == ORGANIZATION_PERMISSIONS


async def test_admin_keeps_every_gatehouse_permission(op, make_org, org_roles):
    org = await make_org()
    await _editor(op)
    body = await op(UPDATE_ENV_ROLE, {"i": {"roleSlug": "admin", "permissions": ["videos:create"]}})
    assert set(body["environmentRole"]["permissions"]) == ORGANIZATION_PERMISSIONS | {
        "videos:create"
    }
    assert set((await org_roles(org.id))["admin"]["permissions"]) == ORGANIZATION_PERMISSIONS | {
        "videos:create"
    }
    overridden = await op(
        OVERRIDE, {"i": {"organizationId": org.id, "roleSlug": "admin", "permissions": []}}
    )
    assert set(overridden["role"]["permissions"]) == ORGANIZATION_PERMISSIONS


async def test_the_default_role_is_the_environments_unless_an_organization_chose(
    op, make_org, org_roles
):
    follows, chose = await make_org("Follows"), await make_org("Chose")
    policy = """mutation($i: UpdateOrganizationPolicyInput!) { updateOrganizationPolicy(input: $i)
      { userErrors { code } } }"""
    await op(policy, {"i": {"organizationId": chose.id, "defaultRoleSlug": "admin"}})
    await _editor(op)
    body = await op(
        """mutation($i: EnvironmentRoleInput!) { setDefaultEnvironmentRole(input: $i) {
        environmentRole { slug isDefault } userErrors { code } } }""",
        {"i": {"roleSlug": "editor"}},
    )
    assert body["environmentRole"] == {"slug": "editor", "isDefault": True}
    later = await make_org("Later")
    defaults = {}
    for org in (follows, chose, later):
        body = await op(
            "query($id: ID!) { organization(id: $id) { policy { defaultRole { slug } } } }",
            {"id": org.id},
        )
        defaults[org.name] = body["policy"]["defaultRole"]["slug"]
    assert defaults == {"Follows": "editor", "Chose": "admin", "Later": "editor"}
    # a member created without a role gets it
    member = await members.create_member(operator_principal(), later.id, "new@l.test", None)
    assert (await Role.get(id=member.role_id)).slug == "editor"


async def test_environment_role_lifecycle_rules(op, make_org):
    org = await make_org()
    await _editor(op)
    delete = """mutation($i: EnvironmentRoleInput!) { deleteEnvironmentRole(input: $i) {
      deletedSlug userErrors { code } } }"""
    for slug, code in (
        ("admin", "SYSTEM_ROLE"),
        ("member", "SYSTEM_ROLE"),
        ("nope", "ROLE_NOT_FOUND"),
    ):
        body = await op(delete, {"i": {"roleSlug": slug}})
        assert [e["code"] for e in body["userErrors"]] == [code]
    # in use by a member: refused; unused: gone from every organization
    member = await members.create_member(operator_principal(), org.id, "u@acme.test", "editor")
    body = await op(delete, {"i": {"roleSlug": "editor"}})
    assert [e["code"] for e in body["userErrors"]] == ["ROLE_IN_USE"]
    await members.update_member_role(operator_principal(), member.id, "member")
    body = await op(delete, {"i": {"roleSlug": "editor"}})
    assert body == {"deletedSlug": "editor", "userErrors": []}
    assert not await Role.filter(slug="editor").exists()

    # a slug an organization already uses for a custom role is refused
    create_role = """mutation($i: CreateRoleInput!) { createRole(input: $i) {
      userErrors { code } } }"""
    await op(
        create_role,
        {"i": {"organizationId": org.id, "slug": "auditor", "name": "A", "permissions": []}},
    )
    clash = await op(
        CREATE_ENV_ROLE, {"i": {"slug": "auditor", "name": "Auditor", "permissions": []}}
    )
    assert [e["code"] for e in clash["userErrors"]] == ["ROLE_SLUG_TAKEN"]
    # and an organization cannot edit its copy of an environment role with updateRole
    admin = await Role.get(organization_id=org.id, slug="member")
    body = await op(
        """mutation($i: UpdateRoleInput!) { updateRole(input: $i) { userErrors { code } } }""",
        {"i": {"roleId": admin.id, "name": "Staff"}},
    )
    assert [e["code"] for e in body["userErrors"]] == ["ENVIRONMENT_ROLE"]
    # nor override its own custom role
    body = await op(
        OVERRIDE, {"i": {"organizationId": org.id, "roleSlug": "auditor", "permissions": []}}
    )
    assert [e["code"] for e in body["userErrors"]] == ["ENVIRONMENT_ROLE"]


async def test_operator_only(gql, make_org, settings):
    """Permissions and environment roles are the operator's: organization keys and sessions
    are refused; both may read the catalogs."""
    from gatehouse.resolvers import api_keys

    org = await make_org()
    _, org_key = await api_keys.create_api_key(operator_principal(), "k", org.id)
    admin = await members.create_member(operator_principal(), org.id, "boss@acme.test", "admin")
    session = await signed_in(admin, settings)
    mutations = [
        (CREATE_PERMISSION, {"i": {"slug": "videos:create", "name": "x"}}),
        (CREATE_ENV_ROLE, {"i": {"slug": "editor", "name": "E", "permissions": []}}),
        (UPDATE_ENV_ROLE, {"i": {"roleSlug": "member", "name": "Staff"}}),
        (
            "mutation($i: EnvironmentRoleInput!) { deleteEnvironmentRole(input: $i) "
            "{ userErrors { code } } }",
            {"i": {"roleSlug": "member"}},
        ),
        (
            "mutation($i: EnvironmentRoleInput!) { setDefaultEnvironmentRole(input: $i) "
            "{ userErrors { code } } }",
            {"i": {"roleSlug": "admin"}},
        ),
        (
            "mutation($i: UpdatePermissionInput!) { updatePermission(input: $i) "
            "{ userErrors { code } } }",
            {"i": {"permissionId": "perm_01KBE000000000000000000000", "name": "x"}},
        ),
        (
            "mutation($i: DeletePermissionInput!) { deletePermission(input: $i) "
            "{ userErrors { code } } }",
            {"i": {"permissionId": "perm_01KBE000000000000000000000"}},
        ),
    ]
    before = await Event.all().count()
    for token in (org_key, session):
        for mutation, variables in mutations:
            body = await gql(mutation, variables, token=token)
            assert body["data"] is None, body
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        read = await gql("{ permissions { slug } environmentRoles { slug } }", token=token)
        assert read.get("errors") is None, read
    assert await Event.all().count() == before


async def test_an_admin_invites_into_a_role_with_product_permissions(op, gql, make_org, settings):
    # Nobody invites into a role with Gatehouse permissions they lack; product permissions are
    # not Gatehouse's to withhold, so an admin's session may hand out the editor role.
    org = await make_org()
    await _editor(op)
    admin = await members.create_member(operator_principal(), org.id, "boss@acme.test", "admin")
    token = await signed_in(admin, settings)
    body = await gql(
        """mutation($i: CreateInvitationInput!) { createInvitation(input: $i) {
        invitation { role { slug } } userErrors { code } } }""",
        {"i": {"organizationId": org.id, "email": "new@acme.test", "roleSlug": "editor"}},
        token=token,
    )
    assert body["data"]["createInvitation"] == {
        "invitation": {"role": {"slug": "editor"}},
        "userErrors": [],
    }
