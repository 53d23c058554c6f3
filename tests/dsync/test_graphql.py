from __future__ import annotations

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Directory, Event, GroupRoleMapping
from gatehouse.resolvers import api_keys

CREATE = """mutation($i: CreateDirectoryInput!) { createDirectory(input: $i) {
  directory { id name type state scimBaseUrl deprovisioningAction lastActivityAt }
  bearerToken userErrors { field code } } }"""

DIRECTORIES = """query($id: ID!) { organization(id: $id) { directories {
  id name userCount groupCount lastActivityAt
  users(first: 10) { totalCount edges { node { userName email active member { status } } } }
  groups(first: 10) { totalCount edges { node { id name } } }
  roleMappings { priority role { slug } group { name } } } } }"""

MAP = """mutation($i: SetGroupRoleMappingInput!) { setGroupRoleMapping(input: $i) {
  mapping { priority role { slug } group { name } } userErrors { field code } } }"""


async def test_create_directory_returns_url_and_token_once(gql, operator_token, make_org, client):
    org = await make_org("Acme")
    # when an operator creates a directory
    body = await gql(
        CREATE,
        {"i": {"organizationId": org.id, "name": "Okta", "type": "OKTA"}},
        token=operator_token,
    )
    payload = body["data"]["createDirectory"]
    directory = payload["directory"]
    token = payload["bearerToken"]
    # then the SCIM base URL and a 256-bit token come back, and the token opens SCIM
    assert payload["userErrors"] == []
    assert directory["scimBaseUrl"] == f"http://127.0.0.1:8000/scim/v2/{directory['id']}"
    assert directory["type"] == "OKTA"
    assert token.startswith("scim_")
    assert len(token) > 40
    response = await client.get(
        f"/scim/v2/{directory['id']}/Users", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    # and the token is not stored nor in any event
    row = await Directory.get(id=directory["id"])
    assert token not in row.token_hash
    assert all(token not in str(e.data) for e in await Event.all())


async def test_rotate_token_revokes_the_old_one_at_completion(gql, operator_token, scim):
    # (the whole rotation, with overlap and cancel, is tests/dsync/test_token_rotation.py)
    body = await gql(
        """mutation($i: DirectoryInput!) { rotateDirectoryToken(input: $i) {
           bearerToken userErrors { code } } }""",
        {"i": {"directoryId": scim.directory_id}},
        token=operator_token,
    )
    new = body["data"]["rotateDirectoryToken"]["bearerToken"]
    assert (await scim.call("GET", "/Users")).status_code == 200
    body = await gql(
        """mutation($i: DirectoryInput!) { completeDirectoryTokenRotation(input: $i) {
           userErrors { code } } }""",
        {"i": {"directoryId": scim.directory_id}},
        token=operator_token,
    )
    assert body["data"]["completeDirectoryTokenRotation"]["userErrors"] == []
    assert (await scim.call("GET", "/Users")).status_code == 401
    assert (await scim.call("GET", "/Users", token=new)).status_code == 200


async def test_group_role_mapping_sets_roles_and_lists(gql, operator_token, scim):
    # given a user in a group
    user = await scim.create_user("ann", emails=[{"value": "ann@acme.com"}])
    group = await scim.create_group("Admins", [user["id"]])
    # when the group is mapped to admin
    body = await gql(
        MAP,
        {
            "i": {
                "directoryId": scim.directory_id,
                "groupId": group["id"],
                "roleSlug": "admin",
                "priority": 10,
            }
        },
        token=operator_token,
    )
    assert body["data"]["setGroupRoleMapping"]["userErrors"] == []
    # then the member is admin, and the directory lists users, groups, counts and mappings
    body = await gql(DIRECTORIES, {"id": scim.organization_id}, token=operator_token)
    (directory,) = body["data"]["organization"]["directories"]
    assert directory["userCount"] == 1
    assert directory["groupCount"] == 1
    assert directory["lastActivityAt"] is not None
    assert directory["users"]["edges"][0]["node"]["member"] == {"status": "ACTIVE"}
    assert directory["roleMappings"] == [
        {"priority": 10, "role": {"slug": "admin"}, "group": {"name": "Admins"}}
    ]
    members = await gql(
        """query($id: ID!) { organization(id: $id) { members { edges { node {
           role { slug } source directoryUser { userName } } } } } }""",
        {"id": scim.organization_id},
        token=operator_token,
    )
    nodes = [e["node"] for e in members["data"]["organization"]["members"]["edges"]]
    assert nodes == [
        {"role": {"slug": "admin"}, "source": "DIRECTORY", "directoryUser": {"userName": "ann"}}
    ]


async def test_unknown_role_or_group_is_a_user_error(gql, operator_token, scim):
    group = await scim.create_group("Eng")
    body = await gql(
        MAP,
        {"i": {"directoryId": scim.directory_id, "groupId": group["id"], "roleSlug": "nope"}},
        token=operator_token,
    )
    assert body["data"]["setGroupRoleMapping"]["userErrors"] == [
        {"field": ["roleSlug"], "code": "ROLE_NOT_FOUND"}
    ]
    assert await GroupRoleMapping.all().count() == 0


async def test_org_key_cannot_see_or_change_another_orgs_directory(gql, make_org, make_directory):
    # given org A's scoped API key, and a directory in org B
    org_a, org_b = await make_org("A"), await make_org("B")
    other = await make_directory(org_b)
    _, key = await api_keys.create_api_key(operator_principal(), "a", org_a.id)
    events_before = await Event.all().count()
    # then B's directories read as absent, and changes are refused as not found
    body = await gql(DIRECTORIES, {"id": org_b.id}, token=key)
    assert body["data"]["organization"] is None
    body = await gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": other.directory_id}, token=key
    )
    assert body["data"]["node"] is None
    body = await gql(CREATE, {"i": {"organizationId": org_b.id, "name": "x"}}, token=key)
    assert body["data"]["createDirectory"]["userErrors"] == [
        {"field": ["organizationId"], "code": "NOT_FOUND"}
    ]
    body = await gql(
        """mutation($i: DirectoryInput!) { deleteDirectory(input: $i) {
           deletedId userErrors { code } } }""",
        {"i": {"directoryId": other.directory_id}},
        token=key,
    )
    assert body["data"]["deleteDirectory"]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert await Directory.filter(organization_id=org_b.id).count() == 1
    assert await Event.all().count() == events_before


async def test_delete_directory_keeps_members_and_kills_token(gql, operator_token, scim):
    await scim.create_user("ann", emails=[{"value": "ann@acme.com"}])
    body = await gql(
        """mutation($i: DirectoryInput!) { deleteDirectory(input: $i) {
           deletedId userErrors { code } } }""",
        {"i": {"directoryId": scim.directory_id}},
        token=operator_token,
    )
    assert body["data"]["deleteDirectory"]["deletedId"] == scim.directory_id
    assert (await scim.call("GET", "/Users")).status_code == 401
    members = await gql(
        """query($id: ID!) { organization(id: $id) { members { totalCount } } }""",
        {"id": scim.organization_id},
        token=operator_token,
    )
    assert members["data"]["organization"]["members"]["totalCount"] == 1


async def test_directories_list_has_no_n_plus_one(
    gql, operator_token, make_org, make_directory, count_queries
):
    org = await make_org("Acme")
    query = """query($id: ID!) { organization(id: $id) { directories {
      id userCount groupCount organization { id } roleMappings { priority } } } }"""
    first = await make_directory(org)
    await first.create_user("ann")
    await gql(query, {"id": org.id}, token=operator_token)  # the key's last-use write, once
    with count_queries() as one:
        await gql(query, {"id": org.id}, token=operator_token)
    for _ in range(3):
        await make_directory(org)
    with count_queries() as four:
        body = await gql(query, {"id": org.id}, token=operator_token)
    assert len(body["data"]["organization"]["directories"]) == 4
    assert four.count == one.count


async def test_org_key_cannot_rotate_or_map_another_orgs_directory(gql, make_org, make_directory):
    # given org B's directory with a pushed group, and org A's scoped key
    org_a, org_b = await make_org("A"), await make_org("B")
    other = await make_directory(org_b)
    group_id = (await other.create_group("Eng"))["id"]
    _, key = await api_keys.create_api_key(operator_principal(), "a", org_a.id)
    events_before = await Event.all().count()
    # when it tries to rotate B's token or map B's group
    body = await gql(
        """mutation($i: DirectoryInput!) { rotateDirectoryToken(input: $i) {
           bearerToken userErrors { code } } }""",
        {"i": {"directoryId": other.directory_id}},
        token=key,
    )
    assert body["data"]["rotateDirectoryToken"] == {
        "bearerToken": None,
        "userErrors": [{"code": "NOT_FOUND"}],
    }
    body = await gql(
        MAP,
        {"i": {"directoryId": other.directory_id, "groupId": group_id, "roleSlug": "admin"}},
        token=key,
    )
    assert body["data"]["setGroupRoleMapping"]["userErrors"][0]["code"] == "NOT_FOUND"
    # then nothing changed: B's token still works, no mapping, no event
    assert (await other.call("GET", "/Users")).status_code == 200
    assert await GroupRoleMapping.all().count() == 0
    assert await Event.all().count() == events_before
