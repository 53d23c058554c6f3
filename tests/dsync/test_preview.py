"""PREVIEW directories: an Entra-shaped initial push is mirrored and answered as in LIVE, but
its membership changes are held as a diff; applying yields exactly that diff."""

from __future__ import annotations

from typing import Any

from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    Directory,
    DirectoryGroupMember,
    DirectoryMode,
    DirectoryType,
    DirectoryUser,
    Domain,
    DomainState,
    Event,
    GroupRoleMapping,
    Member,
    MemberStatus,
    Role,
    User,
)
from gatehouse.resolvers import members, roles
from gatehouse.resolvers.directories import lifecycle as directories
from tests.dsync.conftest import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, Scim

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

CREATE = """mutation($i: CreateDirectoryInput!) { createDirectory(input: $i) {
  directory { id mode } bearerToken userErrors { field code } } }"""
PENDING = """query($id: ID!, $after: String, $kind: DirectoryChangeKind) { node(id: $id) {
  ... on Directory { mode pendingChanges(first: 100, after: $after, kind: $kind) {
    totalCount joiners movers leavers pageInfo { hasNextPage endCursor }
    edges { node { kind email role { slug } previousRole { slug }
      mapping { priority group { name } role { slug } } directoryUser { userName } } } } } } }"""
APPLY = """mutation($i: DirectoryInput!) { applyDirectoryChanges(input: $i) {
  directory { mode } applied { joiners movers leavers } userErrors { field code } } }"""
DISCARD = """mutation($i: DirectoryInput!) { discardDirectoryChanges(input: $i) {
  directory { mode } discardedUsers userErrors { field code } } }"""
MAP = """mutation($i: SetGroupRoleMappingInput!) { setGroupRoleMapping(input: $i) {
  userErrors { code } } }"""

PEOPLE = {
    "adele": ("Adele", "Vance", ["Engineering"]),
    "alex": ("Alex", "Wilber", ["Engineering", "Admins"]),
    "megan": ("Megan", "Bowen", ["Sales"]),
    "lynne": ("Lynne", "Robbins", []),
}


async def _contoso(make_org: Any) -> Any:
    org = await make_org("Contoso")
    await Domain.create(
        organization=org,
        domain="contoso.com",
        verified_domain="contoso.com",
        state=DomainState.VERIFIED,
        token="t",
    )
    await roles.create_role(operator_principal(), org.id, "engineer", "Engineer", [])
    return org


async def _preview_directory(gql: Any, token: str, org: Any, client: Any) -> Scim:
    body = await gql(
        CREATE,
        {"i": {"organizationId": org.id, "name": "Entra", "type": "ENTRA", "mode": "PREVIEW"}},
        token=token,
    )
    payload = body["data"]["createDirectory"]
    assert payload["directory"]["mode"] == "PREVIEW"
    return Scim(client, payload["directory"]["id"], org.id, payload["bearerToken"])


async def _entra_push(scim: Scim) -> dict[str, str]:
    """Entra's initial cycle: per user a filtered GET then POST; per group a GET, a POST
    without members, then a PATCH adding them (Entra never sends members on POST)."""
    ids: dict[str, str] = {}
    for nick, (given, family, _) in PEOPLE.items():
        upn = f"{nick}@contoso.com"
        found = await scim.call("GET", f'/Users?filter=userName eq "{upn}"')
        assert found.status_code == 200
        assert found.json()["totalResults"] == 0
        response = await scim.call(
            "POST",
            "/Users",
            {
                "schemas": [USER_SCHEMA, ENTERPRISE],
                "externalId": f"oid-{nick}",
                "userName": upn,
                "active": True,
                "displayName": f"{given} {family}",
                "name": {
                    "givenName": given,
                    "familyName": family,
                    "formatted": f"{given} {family}",
                },
                "emails": [{"primary": True, "type": "work", "value": upn}],
                ENTERPRISE: {"department": "Retail"},
            },
        )
        assert response.status_code == 201, response.text
        ids[nick] = response.json()["id"]
    for group in ("Engineering", "Admins", "Sales"):
        found = await scim.call(
            "GET", f'/Groups?excludedAttributes=members&filter=displayName eq "{group}"'
        )
        assert found.json()["totalResults"] == 0
        response = await scim.call(
            "POST",
            "/Groups",
            {
                "schemas": [GROUP_SCHEMA],
                "externalId": f"gid-{group}",
                "displayName": group,
                "members": [],
            },
        )
        assert response.status_code == 201, response.text
        ids[group] = response.json()["id"]
        values = [{"value": ids[n]} for n, (_, _, gs) in PEOPLE.items() if group in gs]
        response = await scim.call(
            "PATCH",
            f"/Groups/{ids[group]}",
            {
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "Add", "path": "members", "value": values}],
            },
        )
        assert response.status_code == 204, response.text
    return ids


async def _diff(gql: Any, token: str, directory_id: str, kind: str | None = None) -> dict[str, Any]:
    body = await gql(PENDING, {"id": directory_id, "kind": kind}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]["pendingChanges"]


def _roles(diff: dict[str, Any]) -> dict[str, tuple[str, str, str | None]]:
    return {
        e["node"]["email"]: (
            e["node"]["kind"],
            e["node"]["role"]["slug"],
            e["node"]["mapping"]["group"]["name"] if e["node"]["mapping"] else None,
        )
        for e in diff["edges"]
    }


async def _map(
    gql: Any, token: str, directory_id: str, group_id: str, slug: str | None, priority: int = 0
) -> None:
    body = await gql(
        MAP,
        {
            "i": {
                "directoryId": directory_id,
                "groupId": group_id,
                "roleSlug": slug,
                "priority": priority,
            }
        },
        token=token,
    )
    assert body["data"]["setGroupRoleMapping"]["userErrors"] == []


async def _member_roles(org_id: str) -> dict[str, tuple[str, MemberStatus]]:
    out = {}
    for member in await Member.filter(organization_id=org_id).prefetch_related("user"):
        role = await Role.get(id=member.role_id)
        out[member.user.email] = (role.slug, member.status)
    return out


async def test_entra_initial_push_in_preview_is_held_then_applied_exactly(
    gql, operator_token, make_org, client
):
    # given Contoso, with a PREVIEW Entra directory whose groups map to roles
    org = await _contoso(make_org)
    scim = await _preview_directory(gql, operator_token, org, client)
    before = await Event.filter(organization_id=org.id).count()

    # when Entra runs its initial cycle
    ids = await _entra_push(scim)
    await _map(gql, operator_token, scim.directory_id, ids["Engineering"], "engineer", 1)
    await _map(gql, operator_token, scim.directory_id, ids["Admins"], "admin", 5)

    # then the IdP saw LIVE's answers (users and groups are there, with their members)
    group = (await scim.call("GET", f"/Groups/{ids['Engineering']}")).json()
    assert sorted(m["value"] for m in group["members"]) == sorted([ids["adele"], ids["alex"]])
    assert (await scim.call("GET", f"/Users/{ids['megan']}")).json()["active"] is True
    # but nobody became a member: zero members, no users, no membership events
    assert await Member.filter(organization_id=org.id).count() == 0
    assert await User.filter(email__endswith="@contoso.com").count() == 0
    types = await Event.filter(organization_id=org.id).offset(before).values_list("type", flat=True)
    assert not [t for t in types if t.startswith("organization_membership.")]

    # and the diff holds exactly the joiners with the roles the mappings give
    diff = await _diff(gql, operator_token, scim.directory_id)
    expected = {
        "adele@contoso.com": ("JOINER", "engineer", "Engineering"),
        "alex@contoso.com": ("JOINER", "admin", "Admins"),
        "megan@contoso.com": ("JOINER", "member", None),
        "lynne@contoso.com": ("JOINER", "member", None),
    }
    assert _roles(diff) == expected
    assert (diff["totalCount"], diff["joiners"], diff["movers"], diff["leavers"]) == (4, 4, 0, 0)
    assert diff["edges"][1]["node"]["mapping"]["priority"] == 5
    assert diff["edges"][0]["node"]["previousRole"] is None

    # when a mapping is edited before apply (Sales → engineer, Admins unmapped), the diff follows
    await _map(gql, operator_token, scim.directory_id, ids["Sales"], "engineer")
    await _map(gql, operator_token, scim.directory_id, ids["Admins"], None)
    diff = await _diff(gql, operator_token, scim.directory_id)
    expected = {
        "adele@contoso.com": ("JOINER", "engineer", "Engineering"),
        "alex@contoso.com": ("JOINER", "engineer", "Engineering"),
        "megan@contoso.com": ("JOINER", "engineer", "Sales"),
        "lynne@contoso.com": ("JOINER", "member", None),
    }
    assert _roles(diff) == expected
    assert await Member.filter(organization_id=org.id).count() == 0

    # when the admin applies it
    body = await gql(APPLY, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    payload = body["data"]["applyDirectoryChanges"]
    assert payload == {
        "directory": {"mode": "LIVE"},
        "applied": {"joiners": 4, "movers": 0, "leavers": 0},
        "userErrors": [],
    }
    # then the members are exactly the diff, with the usual events, and the diff is empty
    state = await _member_roles(org.id)
    assert state == {email: (role, MemberStatus.ACTIVE) for email, (_, role, _) in expected.items()}
    types = await Event.filter(organization_id=org.id).offset(before).values_list("type", flat=True)
    assert types.count("organization_membership.created") == 4
    assert "dsync.changes_applied" in types
    assert (await _diff(gql, operator_token, scim.directory_id))["totalCount"] == 0
    # and the directory is LIVE: the next push applies at once
    response = await scim.call(
        "PATCH",
        f"/Users/{ids['lynne']}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
    )
    assert response.status_code == 200
    assert (await _member_roles(org.id))["lynne@contoso.com"][1] is MemberStatus.INACTIVE
    # applying twice is refused, nothing changed
    body = await gql(APPLY, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    assert body["data"]["applyDirectoryChanges"]["userErrors"] == [
        {"field": ["directoryId"], "code": "DIRECTORY_NOT_IN_PREVIEW"}
    ]


async def test_preview_shows_movers_leavers_and_held_users(gql, operator_token, make_org, client):
    # given Contoso's existing members: an engineer-to-be and a leaver-to-be
    org = await _contoso(make_org)
    op = operator_principal()
    await members.create_member(op, org.id, "adele@contoso.com")
    await members.create_member(op, org.id, "megan@contoso.com")
    # and someone's account at an address Contoso does not own
    await User.create(email="lynne@fabrikam.com")
    scim = await _preview_directory(gql, operator_token, org, client)
    eng = await scim.create_group("Engineering")
    await _map(gql, operator_token, scim.directory_id, eng["id"], "engineer")
    adele = await scim.create_user(
        "adele@contoso.com", emails=[{"value": "adele@contoso.com", "primary": True}]
    )
    await scim.patch(
        f"/Groups/{eng['id']}", {"op": "add", "path": "members", "value": [{"value": adele["id"]}]}
    )
    await scim.create_user(
        "megan@contoso.com", active=False, emails=[{"value": "megan@contoso.com"}]
    )
    await scim.create_user("lynne@fabrikam.com", emails=[{"value": "lynne@fabrikam.com"}])

    # then the diff: Adele moves member → engineer, Megan leaves, Lynne is held (not listed)
    diff = await _diff(gql, operator_token, scim.directory_id)
    rows = {
        e["node"]["email"]: (
            e["node"]["kind"],
            e["node"]["previousRole"]["slug"],
            e["node"]["role"]["slug"],
        )
        for e in diff["edges"]
    }
    assert rows == {
        "adele@contoso.com": ("MOVER", "member", "engineer"),
        "megan@contoso.com": ("LEAVER", "member", "member"),
    }
    assert (diff["joiners"], diff["movers"], diff["leavers"]) == (0, 1, 1)
    assert (await _diff(gql, operator_token, scim.directory_id, "LEAVER"))["totalCount"] == 1
    held = await DirectoryUser.get(directory_id=scim.directory_id, email="lynne@fabrikam.com")
    assert held.awaiting_proof is True
    # nothing moved yet
    assert await _member_roles(org.id) == {
        "adele@contoso.com": ("member", MemberStatus.ACTIVE),
        "megan@contoso.com": ("member", MemberStatus.ACTIVE),
    }
    # when applied: exactly that
    body = await gql(APPLY, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    assert body["data"]["applyDirectoryChanges"]["applied"] == {
        "joiners": 0,
        "movers": 1,
        "leavers": 1,
    }
    assert await _member_roles(org.id) == {
        "adele@contoso.com": ("engineer", MemberStatus.ACTIVE),
        "megan@contoso.com": ("member", MemberStatus.INACTIVE),
    }
    assert (await DirectoryUser.get(id=held.id)).awaiting_proof is True


async def test_discard_drops_the_mirror_and_stays_in_preview(gql, operator_token, make_org, client):
    org = await _contoso(make_org)
    scim = await _preview_directory(gql, operator_token, org, client)
    adele = await scim.create_user("adele@contoso.com", emails=[{"value": "adele@contoso.com"}])
    group = await scim.create_group("Engineering", [adele["id"]])
    await _map(gql, operator_token, scim.directory_id, group["id"], "engineer")
    body = await gql(DISCARD, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    assert body["data"]["discardDirectoryChanges"] == {
        "directory": {"mode": "PREVIEW"},
        "discardedUsers": 1,
        "userErrors": [],
    }
    assert (await _diff(gql, operator_token, scim.directory_id))["totalCount"] == 0
    assert await DirectoryUser.filter(directory_id=scim.directory_id).count() == 0
    assert await DirectoryGroupMember.all().count() == 0
    assert await GroupRoleMapping.filter(directory_id=scim.directory_id).count() == 0
    assert await Member.filter(organization_id=org.id).count() == 0
    # the IdP's next push starts over
    await scim.create_user("adele@contoso.com", emails=[{"value": "adele@contoso.com"}])
    assert (await _diff(gql, operator_token, scim.directory_id))["joiners"] == 1


async def test_live_is_the_default_and_discard_refuses_live(gql, operator_token, make_org, scim):
    assert (await Directory.get(id=scim.directory_id)).mode is DirectoryMode.LIVE
    body = await gql(DISCARD, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    assert (
        body["data"]["discardDirectoryChanges"]["userErrors"][0]["code"]
        == "DIRECTORY_NOT_IN_PREVIEW"
    )
    org = await make_org("Other")
    directory, _ = await directories.create_directory(
        operator_principal(), org.id, "Okta", DirectoryType.OKTA
    )
    assert directory.mode is DirectoryMode.LIVE
