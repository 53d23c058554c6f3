"""Bad input gets a clear error and changes nothing; never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, Member, MemberStatus, Organization, Session
from gatehouse.models.ids import new_id
from gatehouse.resolvers import api_keys, members
from tests.people import signed_in

CREATE = """mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
  organization { id } userErrors { field code message } } }"""


async def _counts():
    return await Organization.all().count(), await Member.all().count(), await Event.all().count()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": ""}, [(["name"], "REQUIRED")]),
        ({"name": "   "}, [(["name"], "REQUIRED")]),
        ({"name": "x" * 201}, [(["name"], "TOO_LONG")]),
        # 150 characters, 300 lowercased: the search copy must fit too (once INTERNAL)
        ({"name": "\u0130" * 150}, [(["name"], "TOO_LONG")]),
        ({"name": "Ok", "metadata": [1, 2]}, [(["metadata"], "INVALID_METADATA")]),
        # Every field error at once, not the first only.
        (
            {"name": "", "metadata": "str"},
            [(["name"], "REQUIRED"), (["metadata"], "INVALID_METADATA")],
        ),
    ],
)
async def test_invalid_organization_input(gql, operator_token, data, errors):
    before = await _counts()
    body = await gql(CREATE, {"i": data}, token=operator_token)
    payload = body["data"]["createOrganization"]
    assert payload["organization"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == errors
    assert all(e["message"] for e in payload["userErrors"])
    assert await _counts() == before


async def test_a_name_too_long_lowercased_is_refused_on_update(gql, operator_token, make_org):
    org = await make_org("Acme")
    body = await gql(
        "mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) {"
        " organization { name } userErrors { field code } } }",
        {"i": {"id": org.id, "name": "\u0130" * 150}},
        token=operator_token,
    )
    assert body["data"]["updateOrganization"]["userErrors"] == [
        {"field": ["name"], "code": "TOO_LONG"}
    ]
    await org.refresh_from_db()
    assert org.name == "Acme"


async def test_external_id_must_be_unique(gql, operator_token):
    await gql(CREATE, {"i": {"name": "A", "externalId": "cust-1"}}, token=operator_token)
    before = await _counts()
    body = await gql(CREATE, {"i": {"name": "B", "externalId": "cust-1"}}, token=operator_token)
    assert body["data"]["createOrganization"]["userErrors"][0]["code"] == "EXTERNAL_ID_TAKEN"
    assert await _counts() == before


@pytest.mark.parametrize(
    ("member_id", "code"),
    [
        ("org_01J0000000000000000000000Z", "INVALID_ID"),  # wrong prefix
        ("om_notaulid", "INVALID_ID"),
        ("", "INVALID_ID"),
        (new_id("om"), "NOT_FOUND"),  # well-formed, unknown
    ],
)
async def test_member_ids_are_checked(gql, operator_token, make_org, member_id, code):
    await make_org()
    before = await _counts()
    body = await gql(
        "mutation($id: ID!) { deactivateMember(input: {memberId: $id}) "
        "{ member { id } userErrors { field code } } }",
        {"id": member_id},
        token=operator_token,
    )
    assert body["data"]["deactivateMember"]["userErrors"] == [{"field": ["memberId"], "code": code}]
    assert await _counts() == before


async def test_unknown_organization_reads_as_null(gql, operator_token):
    body = await gql(
        "query($id: ID!) { organization(id: $id) { id } }",
        {"id": new_id("org")},
        token=operator_token,
    )
    assert body == {"data": {"organization": None}}


@pytest.fixture
async def org_with_one_admin(make_org):
    org = await make_org()
    admin = await members.create_member(operator_principal(), org.id, "a@acme.example", "admin")
    return org, admin


@pytest.mark.parametrize(
    "mutation",
    [
        "mutation($id: ID!) { removeMember(input: {memberId: $id}) { userErrors { code } } }",
        "mutation($id: ID!) { deactivateMember(input: {memberId: $id}) { userErrors { code } } }",
        'mutation($id: ID!) { updateMemberRole(input: {memberId: $id, roleSlug: "member"}) '
        "{ userErrors { code } } }",
    ],
)
async def test_last_admin_cannot_be_removed_or_demoted(
    gql, operator_token, org_with_one_admin, mutation
):
    _, admin = org_with_one_admin
    before = await _counts()
    body = await gql(mutation, {"id": admin.id}, token=operator_token)
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [{"code": "LAST_ADMIN"}]
    assert await _counts() == before
    assert (await Member.get(id=admin.id)).status is MemberStatus.ACTIVE


async def test_second_admin_makes_removal_possible(gql, operator_token, org_with_one_admin):
    org, admin = org_with_one_admin
    await members.create_member(operator_principal(), org.id, "b@acme.example", "admin")
    body = await gql(
        "mutation($id: ID!) { removeMember(input: {memberId: $id}) "
        "{ deletedId userErrors { code } } }",
        {"id": admin.id},
        token=operator_token,
    )
    assert body["data"]["removeMember"] == {"deletedId": admin.id, "userErrors": []}


# --- credentials -------------------------------------------------------------------------------

VIEWER = "{ viewer { kind } organizations { totalCount } }"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer sk_unknown", "Basic abc", "Bearer x"])
async def test_missing_or_unknown_credentials(client, db, header):
    headers = {"Authorization": header} if header else {}
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_revoked_key_is_refused(gql, make_org):
    key, secret = await api_keys.create_api_key(operator_principal(), "to revoke")
    assert (await gql(VIEWER, token=secret))["data"]["viewer"]["kind"] == "OPERATOR"
    await api_keys.revoke_api_key(operator_principal(), key.id)
    body = await gql(VIEWER, token=secret)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expired_and_revoked_sessions_are_refused(gql, org_with_one_admin, settings):
    org, admin = org_with_one_admin
    second = await members.create_member(operator_principal(), org.id, "s@acme.example", "member")
    token = await signed_in(second, settings)
    body = await gql("{ viewer { kind organizationId } }", token=token)
    assert body["data"]["viewer"] == {"kind": "SESSION", "organizationId": org.id}
    # Deactivating the member revokes the session at once.
    await members.set_member_status(operator_principal(), second.id, MemberStatus.INACTIVE)
    assert (await gql(VIEWER, token=token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # An expired session of an active member is refused too.
    token2 = await signed_in(admin, settings)
    await Session.filter(member_id=admin.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert (await gql(VIEWER, token=token2))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_missing_permission_is_forbidden_and_changes_nothing(gql, make_org):
    org = await make_org()
    _, secret = await api_keys.create_api_key(
        operator_principal(), "ro", org.id, ["organizations:read"]
    )
    before = await _counts()
    body = await gql(
        "mutation($id: ID!) { createMember(input: {organizationId: $id, "
        'email: "x@y.example"}) { userErrors { code } } }',
        {"id": org.id},
        token=secret,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _counts() == before
    # Nested fields check their own permission.
    body = await gql(
        "query($id: ID!) { organization(id: $id) { name members { totalCount } } }",
        {"id": org.id},
        token=secret,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["organization", "members"]


async def test_scoped_key_cannot_exceed_its_creator(gql, make_org):
    org = await make_org()
    _, secret = await api_keys.create_api_key(
        operator_principal(), "limited", org.id, ["api_keys:write", "members:read"]
    )
    body = await gql(
        'mutation { createApiKey(input: {name: "x", scopes: ["members:write"]}) '
        "{ secret userErrors { field code } } }",
        token=secret,
    )
    assert body["data"]["createApiKey"] == {
        "secret": None,
        "userErrors": [{"field": ["scopes"], "code": "INVALID_SCOPE"}],
    }
