"""Roles from SSO groups: per-connection mappings evaluated at every sign-in, through the test
SAML IdP and the OpenID provider; the directory's role wins; every change says why."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Event, Member, Role
from gatehouse.resolvers import roles
from gatehouse.resolvers.directories import lifecycle as directories
from tests.dsync.conftest import Scim
from tests.sso.helpers import (
    REDIRECT,
    assertion_for,
    oidc_connection,
    post_acs,
    saml_connection,
    start_saml,
    verified_domain,
)
from tests.sso.saml_idp import signed

SET = """mutation($i: SetConnectionGroupRoleMappingInput!) {
  setConnectionGroupRoleMapping(input: $i) {
    mapping { group priority role { slug } } userErrors { field code message } } }"""
MAPPINGS = """query($id: ID!) { node(id: $id) { ... on Connection {
  groupsClaim groupRoleMappings { group priority role { slug } } } } }"""


async def _org(make_org):
    org = await make_org("Acme")
    org.jit_provisioning = True
    await org.save()
    await verified_domain(org)
    await roles.create_role(operator_principal(), org.id, "editor", "Editor", ["members:read"])
    return org


async def _map(gql, token, conn_id, group, role, priority):
    body = await gql(
        SET,
        {"i": {"connectionId": conn_id, "group": group, "roleSlug": role, "priority": priority}},
        token=token,
    )
    payload = body["data"]["setConnectionGroupRoleMapping"]
    assert payload["userErrors"] == [], payload
    return payload


async def _role_of(email: str) -> str:
    member = await Member.get(user__email=email)
    return (await Role.get(id=member.role_id)).slug


def _code(response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


async def _saml_sign_in(client, conn, keys, groups, token) -> dict:
    request_id = await start_saml(client, conn)
    attributes = {"email": "alice@acme.com", "firstName": "Alice", "groups": groups}
    xml = signed(assertion_for(conn, in_response_to=request_id, attributes=attributes), keys)
    code = _code(await post_acs(client, conn, xml))
    r = await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _reasons(org_id: str) -> list[tuple[str, str | None]]:
    rows = (
        await Event.filter(type="organization_membership.updated", organization_id=org_id)
        .order_by("id")
        .values_list("data", flat=True)
    )
    return [(d["role"], d.get("reason")) for d in rows]


async def test_saml_groups_give_the_mapped_role_by_priority_and_fall_back(
    client, gql, make_org, idp_keys, operator_token
):
    org = await _org(make_org)
    conn = await saml_connection(org, [idp_keys])
    await _map(gql, operator_token, conn.id, "Engineering", "editor", 10)
    await _map(gql, operator_token, conn.id, "IT Admins", "admin", 20)
    listed = await gql(MAPPINGS, {"id": conn.id}, token=operator_token)
    assert listed["data"]["node"]["groupRoleMappings"] == [
        {"group": "IT Admins", "priority": 20, "role": {"slug": "admin"}},
        {"group": "Engineering", "priority": 10, "role": {"slug": "editor"}},
    ]

    # a first sign-in in both groups: JIT with the higher priority's role, in the token
    body = await _saml_sign_in(client, conn, idp_keys, ["Engineering", "IT Admins"], operator_token)
    assert body["member"]["role"] == "admin"
    assert await _role_of("alice@acme.com") == "admin"

    # the IdP drops her from IT Admins: the next sign-in follows
    body = await _saml_sign_in(client, conn, idp_keys, ["Engineering"], operator_token)
    assert body["member"]["role"] == "editor"

    # and out of every mapped group: the default role
    body = await _saml_sign_in(client, conn, idp_keys, ["Unmapped"], operator_token)
    assert body["member"]["role"] == "member"
    assert await _reasons(org.id) == [("editor", "sso_group"), ("member", "sso_group")]

    # an unchanged role writes nothing
    await _saml_sign_in(client, conn, idp_keys, [], operator_token)
    assert len(await _reasons(org.id)) == 2


async def test_a_connection_without_mappings_leaves_roles_alone(
    client, gql, make_org, idp_keys, operator_token
):
    org = await _org(make_org)
    conn = await saml_connection(org, [idp_keys])
    await _saml_sign_in(client, conn, idp_keys, ["Engineering"], operator_token)
    member = await Member.get(user__email="alice@acme.com")
    changed = await gql(
        "mutation($i: UpdateMemberRoleInput!) { updateMemberRole(input: $i) { userErrors { code } } }",
        {"i": {"memberId": member.id, "roleSlug": "editor"}},
        token=operator_token,
    )
    assert changed["data"]["updateMemberRole"]["userErrors"] == []
    await _saml_sign_in(client, conn, idp_keys, ["Engineering"], operator_token)
    assert await _role_of("alice@acme.com") == "editor"
    assert await _reasons(org.id) == [("editor", "manual")]


async def test_the_directory_role_is_not_overridden(
    client, gql, make_org, idp_keys, operator_token
):
    org = await _org(make_org)
    conn = await saml_connection(org, [idp_keys])
    await _map(gql, operator_token, conn.id, "Engineering", "editor", 10)
    # given the directory manages alice's role: its group maps to admin
    directory, token = await directories.create_directory(operator_principal(), org.id, "Okta")
    scim = Scim(client, directory.id, org.id, token)
    user = await scim.create_user(
        "alice@acme.com", emails=[{"value": "alice@acme.com", "primary": True}]
    )
    group = await scim.create_group("Admins", [user["id"]])
    await directories.set_group_role_mapping(
        operator_principal(), directory.id, group["id"], "admin", 1
    )
    assert await _role_of("alice@acme.com") == "admin"
    assert (await _reasons(org.id))[-1] == ("admin", "directory_group")

    # when she signs in with an IdP group mapped to another role
    body = await _saml_sign_in(client, conn, idp_keys, ["Engineering"], operator_token)

    # then the directory's role stands
    assert body["member"]["role"] == "admin"
    assert await _role_of("alice@acme.com") == "admin"
    assert not [r for r in await _reasons(org.id) if r[1] == "sso_group"]


async def test_a_configured_attribute_name(client, gql, make_org, idp_keys, operator_token):
    org = await _org(make_org)
    conn = await saml_connection(org, [idp_keys])
    await _map(gql, operator_token, conn.id, "eng", "editor", 0)
    update = await gql(
        "mutation($i: UpdateConnectionInput!) { updateConnection(input: $i) "
        "{ connection { groupsClaim } userErrors { code } } }",
        {"i": {"connectionId": conn.id, "groupsClaim": "department"}},
        token=operator_token,
    )
    assert update["data"]["updateConnection"]["connection"]["groupsClaim"] == "department"
    request_id = await start_saml(client, conn)
    attributes = {"email": "alice@acme.com", "groups": ["other"], "department": ["eng"]}
    xml = signed(assertion_for(conn, in_response_to=request_id, attributes=attributes), idp_keys)
    _code(await post_acs(client, conn, xml))
    assert await _role_of("alice@acme.com") == "editor"


async def _oidc_sign_in(client, conn_id, token) -> dict:
    r = await client.get(
        "/sso/authorize", params={"connection": conn_id, "redirect_uri": REDIRECT, "state": "s"}
    )
    assert r.status_code == 302, r.text
    async with httpx.AsyncClient() as browser:
        callback = (await browser.get(r.headers["location"])).headers["location"]
    parts = urlsplit(callback)
    code = _code(await client.get(f"{parts.path}?{parts.query}"))
    r = await client.post(
        "/sso/token", data={"code": code}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_oidc_groups_claim_and_a_configured_claim(
    client, gql, make_org, provider, operator_token
):
    org = await _org(make_org)
    conn_id = (await oidc_connection(gql, operator_token, org, provider)).id
    await _map(gql, operator_token, conn_id, "00g-eng", "editor", 5)
    await _map(gql, operator_token, conn_id, "00g-admins", "admin", 9)

    provider.user["groups"] = ["00g-eng", "00g-admins"]
    assert (await _oidc_sign_in(client, conn_id, operator_token))["member"]["role"] == "admin"
    provider.user["groups"] = ["00g-eng"]
    assert (await _oidc_sign_in(client, conn_id, operator_token))["member"]["role"] == "editor"
    provider.user["groups"] = []
    assert (await _oidc_sign_in(client, conn_id, operator_token))["member"]["role"] == "member"

    # a provider that names the claim otherwise (here `roles`, one value as a string)
    await gql(
        "mutation($i: UpdateConnectionInput!) { updateConnection(input: $i) "
        "{ userErrors { code } } }",
        {"i": {"connectionId": conn_id, "groupsClaim": "roles"}},
        token=operator_token,
    )
    provider.user["roles"] = "00g-admins"
    body = await _oidc_sign_in(client, conn_id, operator_token)
    assert body["member"]["role"] == "admin"
    assert await _reasons(org.id) == [
        ("editor", "sso_group"),
        ("member", "sso_group"),
        ("admin", "sso_group"),
    ]


async def test_mapping_input_rules(gql, make_org, idp_keys, operator_token):
    org = await _org(make_org)
    conn = await saml_connection(org, [idp_keys])
    cases = [
        ({"group": "", "roleSlug": "admin"}, "REQUIRED"),
        ({"group": "g" * 257, "roleSlug": "admin"}, "TOO_LONG"),
        ({"group": "eng", "roleSlug": "nope"}, "ROLE_NOT_FOUND"),
        ({"group": "eng", "roleSlug": "admin", "priority": -1}, "INVALID_PRIORITY"),
        ({"group": "eng", "roleSlug": "admin", "connectionId": "conn_bad"}, "INVALID_ID"),
    ]
    for given, code in cases:
        body = await gql(SET, {"i": {"connectionId": conn.id, **given}}, token=operator_token)
        errors = body["data"]["setConnectionGroupRoleMapping"]["userErrors"]
        assert [e["code"] for e in errors] == [code], (given, errors)
    # set, change, remove
    await _map(gql, operator_token, conn.id, "eng", "admin", 1)
    await _map(gql, operator_token, conn.id, "eng", "editor", 2)
    removed = await _map(gql, operator_token, conn.id, "eng", None, 0)
    assert removed["mapping"] is None
    listed = await gql(MAPPINGS, {"id": conn.id}, token=operator_token)
    assert listed["data"]["node"]["groupRoleMappings"] == []
    assert await Event.filter(type="connection.group_role_mapping.updated").count() == 3
