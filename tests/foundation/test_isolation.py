"""Tenant isolation: an organization-scoped key of org A gets nothing of org B, by any root field,
by `node`, by nested field or in a mutation input, and changes nothing there."""

from __future__ import annotations

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import ApiKey, Event, Member, Organization, Role
from gatehouse.resolvers import api_keys, members, roles


@pytest.fixture
async def two_orgs(make_org):
    a = await make_org("Org A")
    b = await make_org("Org B")
    op = operator_principal()
    b_admin = await members.create_member(op, b.id, "boss@b.example", "admin")
    b_member = await members.create_member(op, b.id, "staff@b.example", "member")
    b_role = await roles.create_role(op, b.id, "auditor", "Auditor", ["members:read"])
    b_key, _ = await api_keys.create_api_key(op, "b key", b.id)
    _, a_secret = await api_keys.create_api_key(op, "a key", a.id)
    return {
        "a": a,
        "b": b,
        "a_token": a_secret,
        "b_admin": b_admin,
        "b_member": b_member,
        "b_role": b_role,
        "b_key": b_key,
    }


async def _snapshot():
    return (
        await Organization.all().order_by("id").values(),
        await Member.all().order_by("id").values(),
        await Role.all().order_by("id").values(),
        await ApiKey.filter(revoked_at__isnull=False).count(),
        await Event.all().count(),
    )


READS = {
    "organization": ("query($id: ID!) { organization(id: $id) { id } }", "b", "organization"),
    "node_org": ("query($id: ID!) { node(id: $id) { id } }", "b", "node"),
    "node_member": ("query($id: ID!) { node(id: $id) { id } }", "b_member", "node"),
    "node_role": ("query($id: ID!) { node(id: $id) { id } }", "b_role", "node"),
    "node_key": ("query($id: ID!) { node(id: $id) { id } }", "b_key", "node"),
}


@pytest.mark.parametrize("name", list(READS))
async def test_scoped_key_reads_nothing_of_another_org(gql, two_orgs, name):
    query, target, field = READS[name]
    body = await gql(query, {"id": two_orgs[target].id}, token=two_orgs["a_token"])
    assert body.get("errors") is None
    assert body["data"][field] is None


async def test_node_user_of_another_org_is_null(gql, two_orgs):
    user_id = two_orgs["b_member"].user_id
    body = await gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": user_id}, token=two_orgs["a_token"]
    )
    assert body["data"]["node"] is None


async def test_organizations_list_shows_only_own_org(gql, two_orgs):
    body = await gql(
        "{ organizations { totalCount edges { node { id } } } }", token=two_orgs["a_token"]
    )
    page = body["data"]["organizations"]
    assert page["totalCount"] == 1
    assert [e["node"]["id"] for e in page["edges"]] == [two_orgs["a"].id]


async def test_events_show_only_own_org_even_when_asking_for_another(gql, two_orgs):
    body = await gql(
        "query($o: ID) { events(organizationId: $o, first: 100) { edges { node { organizationId } } } }",
        {"o": two_orgs["b"].id},
        token=two_orgs["a_token"],
    )
    assert body["data"]["events"]["edges"] == []
    body = await gql(
        "{ events(first: 100) { edges { node { organizationId } } } }", token=two_orgs["a_token"]
    )
    orgs = {e["node"]["organizationId"] for e in body["data"]["events"]["edges"]}
    assert orgs <= {two_orgs["a"].id}


async def test_viewer_user_memberships_hide_other_orgs(gql, two_orgs):
    # The same person in both orgs: through A's key, only A's membership is visible.
    op = operator_principal()
    await members.create_member(op, two_orgs["a"].id, "staff@b.example", "member")
    body = await gql(
        """query($id: ID!) { organization(id: $id) { members { edges { node {
             user { memberships { organization { id } } } } } } } }""",
        {"id": two_orgs["a"].id},
        token=two_orgs["a_token"],
    )
    edges = body["data"]["organization"]["members"]["edges"]
    orgs = {m["organization"]["id"] for e in edges for m in e["node"]["user"]["memberships"]}
    assert orgs == {two_orgs["a"].id}


MUTATIONS = {
    "updateOrganization": (
        'mutation($id: ID!) { updateOrganization(input: {id: $id, name: "x"}) '
        "{ userErrors { code } } }",
        "b",
    ),
    "updateOrganizationPolicy": (
        "mutation($id: ID!) { updateOrganizationPolicy(input: {organizationId: $id, "
        "requireSso: true}) { userErrors { code } } }",
        "b",
    ),
    "createMember": (
        'mutation($id: ID!) { createMember(input: {organizationId: $id, email: "x@y.example"}) '
        "{ userErrors { code } } }",
        "b",
    ),
    "updateMemberRole": (
        'mutation($id: ID!) { updateMemberRole(input: {memberId: $id, roleSlug: "admin"}) '
        "{ userErrors { code } } }",
        "b_member",
    ),
    "deactivateMember": (
        "mutation($id: ID!) { deactivateMember(input: {memberId: $id}) { userErrors { code } } }",
        "b_member",
    ),
    "reactivateMember": (
        "mutation($id: ID!) { reactivateMember(input: {memberId: $id}) { userErrors { code } } }",
        "b_member",
    ),
    "removeMember": (
        "mutation($id: ID!) { removeMember(input: {memberId: $id}) { userErrors { code } } }",
        "b_member",
    ),
    "createRole": (
        'mutation($id: ID!) { createRole(input: {organizationId: $id, slug: "r", name: "R", '
        "permissions: []}) { userErrors { code } } }",
        "b",
    ),
    "updateRole": (
        'mutation($id: ID!) { updateRole(input: {roleId: $id, name: "R"}) '
        "{ userErrors { code } } }",
        "b_role",
    ),
    "deleteRole": (
        "mutation($id: ID!) { deleteRole(input: {roleId: $id}) { userErrors { code } } }",
        "b_role",
    ),
    "createApiKey": (
        'mutation($id: ID!) { createApiKey(input: {name: "k", organizationId: $id}) '
        "{ secret userErrors { code } } }",
        "b",
    ),
    "revokeApiKey": (
        "mutation($id: ID!) { revokeApiKey(input: {apiKeyId: $id}) { userErrors { code } } }",
        "b_key",
    ),
    "generatePortalLink": (
        "mutation($id: ID!) { generatePortalLink(input: {organizationId: $id, "
        "intents: [DOMAIN_VERIFICATION]}) { link userErrors { code } } }",
        "b",
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_scoped_key_cannot_change_another_org(gql, two_orgs, name):
    mutation, target = MUTATIONS[name]
    before = await _snapshot()
    body = await gql(mutation, {"id": two_orgs[target].id}, token=two_orgs["a_token"])
    assert body.get("errors") is None, body
    assert body["data"][name]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert await _snapshot() == before


@pytest.mark.parametrize(
    "mutation",
    [
        'mutation { createOrganization(input: {name: "New"}) { userErrors { code } } }',
        "mutation($id: ID!) { deleteOrganization(input: {id: $id}) { userErrors { code } } }",
    ],
)
async def test_scoped_key_cannot_create_or_delete_organizations(gql, two_orgs, mutation):
    before = await _snapshot()
    body = await gql(
        mutation, {"id": two_orgs["a"].id} if "$id" in mutation else None, token=two_orgs["a_token"]
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _snapshot() == before


async def test_every_root_field_is_covered():
    # A new root field must join the isolation tests above.
    from gatehouse.schema import build_schema

    schema = build_schema()
    query_fields = set(
        schema.get_type_by_name("Query").fields
        and [f.graphql_name or f.python_name for f in schema.get_type_by_name("Query").fields]
    )
    mutation_fields = {
        f.graphql_name or f.python_name for f in schema.get_type_by_name("Mutation").fields
    }
    covered_queries = {"organization", "node", "organizations", "events", "viewer"}
    covered_mutations = set(MUTATIONS) | {"createOrganization", "deleteOrganization"}
    assert {_camel(f) for f in query_fields} <= covered_queries | EXTRA_COVERED
    assert {_camel(f) for f in mutation_fields} <= covered_mutations | EXTRA_COVERED


# Root fields whose isolation tests live with their area (tests/<area>/test_isolation*.py).
EXTRA_COVERED: set[str] = {
    # tests/audit/test_isolation.py
    "createAuditEvent",
    "registerAuditAction",
    "setAuditLogRetention",
    "createAuditLogExport",
    "accessReview",
    # tests/domains/test_isolation.py and tests/domains/test_sign_in.py
    "resolveSignIn",
    "addDomain",
    "verifyDomain",
    "removeDomain",
    # tests/identity/test_isolation.py (organization(externalId:), organizations(domain:) too)
    "user",
    "users",
    "exportUser",
    "updateUser",
    "mergeUsers",
    "deleteUser",
    # tests/policy/test_isolation.py
    "setDomainEnrollment",
    "approveMembership",
    "denyMembership",
    "setMemberSsoBypass",
    # tests/sso/test_isolation.py
    "createSamlConnection",
    "createOidcConnection",
    "updateConnection",
    "activateConnection",
    "deactivateConnection",
    "refreshConnectionMetadata",
    "rotateSamlSpKey",
    "retireSamlSpKey",
    "addSamlCertificate",
    "removeSamlCertificate",
    "connectionsWithExpiringCertificates",
    "deleteConnection",
    # tests/dsync/test_graphql.py and tests/dsync/test_isolation.py
    "createDirectory",
    "rotateDirectoryToken",
    # tests/dsync/test_token_rotation.py
    "completeDirectoryTokenRotation",
    "cancelDirectoryTokenRotation",
    "setGroupRoleMapping",
    "deleteDirectory",
    # tests/dsync/test_preview_isolation.py (pendingChanges, requests, signInAttempts too)
    "applyDirectoryChanges",
    "discardDirectoryChanges",
    # tests/invitations/test_isolation.py; acceptInvitation's credential is the token itself
    # (tests/invitations/test_accept_flow.py: unknown, reused and revoked tokens change nothing)
    "invitation",
    "createInvitation",
    "resendInvitation",
    "revokeInvitation",
    "acceptInvitation",
    # tests/events/test_isolation.py
    "createWebhookEndpoint",
    "rotateWebhookSecret",
    "deleteWebhookEndpoint",
    "createLogStream",
    "deleteLogStream",
    "sendTestLogEvent",
    # tests/roles/test_isolation.py, and test_operator_only in tests/roles/test_product_roles.py
    "permissions",
    "environmentRoles",
    "checkPermission",
    "createPermission",
    "updatePermission",
    "deletePermission",
    "createEnvironmentRole",
    "updateEnvironmentRole",
    "deleteEnvironmentRole",
    "setDefaultEnvironmentRole",
    "overrideEnvironmentRole",
    "resetEnvironmentRole",
    "setConnectionGroupRoleMapping",
    # tests/portal/test_revoke.py
    "revokePortalSessions",
    # tests/sign_in/test_isolation.py, test_email_code.py and test_ending.py
    "sendSignInCode",
    "authenticateWithCode",
    "authenticateWithOrganizationSelection",
    "refreshSession",
    "signOut",
    "revokeSessions",
    # tests/events/test_repair.py
    "webhookEndpoints",
    "apiKeys",
    "updateWebhookEndpoint",
    "retryDelivery",
    "replayEvents",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
