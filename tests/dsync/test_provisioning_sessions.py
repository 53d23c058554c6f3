"""Scripted provisioning sessions shaped like Entra ID's and Okta's SCIM clients."""

from __future__ import annotations

import pytest

from gatehouse.auth.backend import InvalidCredentials, principal_from_authorization
from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    DeprovisioningAction,
    DirectoryType,
    Domain,
    DomainState,
    Event,
    Member,
    MemberSource,
    MemberStatus,
    Role,
    Session,
    User,
)
from gatehouse.resolvers import members
from gatehouse.resolvers.directories import lifecycle as directories
from tests.dsync.conftest import PATCH_SCHEMA, USER_SCHEMA
from tests.people import signed_in

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


async def _member(org_id: str, email: str) -> Member:
    user = await User.get(email=email)
    return await Member.get(organization_id=org_id, user_id=user.id)


async def _role(member: Member) -> str:
    return (await Role.get(id=member.role_id)).slug


async def _types(org_id: str, since: int) -> list[str]:
    """The directory's and the memberships' events (sign-ins have theirs: tests/sign_in)."""
    rows = await Event.filter(organization_id=org_id).order_by("id").values_list("type", flat=True)
    return [t for t in list(rows)[since:] if not t.startswith("session.")]


async def test_entra_session(make_directory, make_org, settings):
    # given an Entra ID directory of Contoso, which verified contoso.com, whose "Admins" group
    # maps to the admin role; and the same person already a member of another organization
    org = await make_org("Contoso")
    await Domain.create(
        organization=org,
        domain="contoso.com",
        verified_domain="contoso.com",
        state=DomainState.VERIFIED,
        token="t",
    )
    other = await make_org("Elsewhere")
    await members.create_member(operator_principal(), other.id, "adele@contoso.com")
    scim = await make_directory(org, DirectoryType.ENTRA)

    # Entra checks the user does not exist, then creates it
    response = await scim.call("GET", '/Users?filter=userName eq "adele@contoso.com"')
    assert response.json()["totalResults"] == 0
    user = await scim.create_user(
        "adele@contoso.com",
        externalId="0a1b",
        name={"givenName": "Adele", "familyName": "Vance"},
        emails=[{"primary": True, "type": "work", "value": "adele@contoso.com"}],
        **{ENTERPRISE: {"department": "Retail"}},
    )
    group = await scim.create_group("Admins")
    await directories.set_group_role_mapping(
        operator_principal(), scim.directory_id, group["id"], "admin", 5
    )
    member = await _member(org.id, "adele@contoso.com")
    assert (member.status, member.source, await _role(member)) == (
        MemberStatus.ACTIVE,
        MemberSource.DIRECTORY,
        "member",
    )
    mark = await Event.filter(organization_id=org.id).count()

    # update: capitalized ops, path-less replace with a dict, an extension path
    response = await scim.patch(
        f"/Users/{user['id']}",
        {"op": "Replace", "path": "displayName", "value": "Adele V."},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Sales"},
        {"op": "Replace", "value": {"name.familyName": "Vance-Smith", "title": "Lead"}},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "adele@contoso.com"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["displayName"] == "Adele V."
    assert body[ENTERPRISE]["department"] == "Sales"
    assert body["name"] == {"givenName": "Adele", "familyName": "Vance-Smith"}

    # group add: Entra adds members with a PATCH on the group
    response = await scim.patch(
        f"/Groups/{group['id']}",
        {"op": "Add", "path": "members", "value": [{"value": user["id"]}]},
    )
    assert response.status_code == 204
    assert await _role(await _member(org.id, "adele@contoso.com")) == "admin"

    # a session, then deactivation with the string "False"
    member = await _member(org.id, "adele@contoso.com")
    token = await signed_in(member, settings)
    response = await scim.patch(
        f"/Users/{user['id']}", {"op": "Replace", "path": "active", "value": "False"}
    )
    assert response.status_code == 200
    assert response.json()["active"] is False
    member = await _member(org.id, "adele@contoso.com")
    assert member.status is MemberStatus.INACTIVE
    with pytest.raises(InvalidCredentials):
        await principal_from_authorization(f"Bearer {token}", settings)
    assert await Session.filter(member_id=member.id, revoked_at=None).count() == 0
    # and GET still answers 200 with active false
    response = await scim.call("GET", f"/Users/{user['id']}")
    assert response.status_code == 200
    assert response.json()["active"] is False

    # group remove with a value list, then delete
    response = await scim.patch(
        f"/Groups/{group['id']}",
        {"op": "Remove", "path": "members", "value": [{"value": user["id"]}]},
    )
    assert response.status_code == 204
    assert (await scim.call("DELETE", f"/Users/{user['id']}")).status_code == 204
    assert (await scim.call("GET", f"/Users/{user['id']}")).status_code == 404

    # then: inactive here, back to the default role, untouched elsewhere
    member = await _member(org.id, "adele@contoso.com")
    assert (member.status, await _role(member)) == (MemberStatus.INACTIVE, "member")
    elsewhere = await _member(other.id, "adele@contoso.com")
    assert elsewhere.status is MemberStatus.ACTIVE
    assert await _types(org.id, mark) == [
        "dsync.user.updated",
        "dsync.group.user_added",
        "organization_membership.updated",  # role → admin
        "organization_membership.updated",  # INACTIVE
        "dsync.user.updated",
        "dsync.group.user_removed",
        "organization_membership.updated",  # role → member (no mapped group left)
        "dsync.user.deleted",
    ]


async def test_okta_session(make_directory, make_org):
    # given an Okta directory that deletes directory-made memberships on DELETE
    org = await make_org("Initech")
    scim = await make_directory(org, DirectoryType.OKTA, DeprovisioningAction.DELETE)
    eng = await scim.create_group("Engineering")
    await directories.set_group_role_mapping(
        operator_principal(), scim.directory_id, eng["id"], "admin", 1
    )

    # Okta: GET by filter, POST, then PUT-heavy updates with the full resource
    user = await scim.create_user(
        "Peter@Initech.com",
        name={"givenName": "Peter", "familyName": "Gibbons"},
        emails=[{"primary": True, "value": "peter@initech.com", "type": "work"}],
    )
    full = {
        "schemas": [USER_SCHEMA],
        "id": user["id"],
        "userName": "Peter@Initech.com",
        "name": {"givenName": "Pete", "familyName": "Gibbons"},
        "emails": [{"primary": True, "value": "peter@initech.com", "type": "work"}],
        "active": True,
    }
    response = await scim.call("PUT", f"/Users/{user['id']}", full)
    assert response.status_code == 200
    assert response.json()["name"]["givenName"] == "Pete"
    assert response.json()["meta"]["version"] == 'W/"2"'

    # group push: Okta PATCHes members, then renames with a path-less replace
    response = await scim.patch(
        f"/Groups/{eng['id']}",
        {"op": "add", "path": "members", "value": [{"value": user["id"], "display": "Peter"}]},
    )
    assert response.status_code == 204
    response = await scim.patch(
        f"/Groups/{eng['id']}", {"op": "replace", "value": {"id": eng["id"], "displayName": "Eng"}}
    )
    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"
    response = await scim.patch(
        f"/Groups/{eng['id']}", {"op": "replace", "value": {"displayName": "Eng"}}
    )
    assert response.status_code == 204
    member = await _member(org.id, "peter@initech.com")
    assert await _role(member) == "admin"

    # deactivate: Okta's path-less replace {"active": false}
    response = await scim.patch(
        f"/Users/{user['id']}", {"op": "replace", "value": {"active": False}}
    )
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert (await _member(org.id, "peter@initech.com")).status is MemberStatus.INACTIVE
    # reactivate with a PUT
    response = await scim.call("PUT", f"/Users/{user['id']}", full)
    assert (await _member(org.id, "peter@initech.com")).status is MemberStatus.ACTIVE

    # delete: the directory-made membership goes (DELETE action)
    assert (await scim.call("DELETE", f"/Users/{user['id']}")).status_code == 204
    assert await Member.filter(organization_id=org.id).count() == 0
    assert await User.filter(email="peter@initech.com").count() == 1  # the identity stays
    types = await _types(org.id, 0)
    for expected in (
        "dsync.group.created",
        "dsync.user.created",
        "organization_membership.created",
        "dsync.group.user_added",
        "dsync.group.updated",
        "dsync.group.user_removed",
        "organization_membership.deleted",
        "dsync.user.deleted",
    ):
        assert expected in types
    assert types[-3:] == [
        "organization_membership.deleted",
        "dsync.group.user_removed",
        "dsync.user.deleted",
    ]


async def test_patch_is_atomic(scim):
    # given a user
    user = await scim.create_user("ann", emails=[{"value": "ann@acme.com"}], displayName="Ann")
    events = await Event.all().count()
    # when the third operation targets nothing
    response = await scim.patch(
        f"/Users/{user['id']}",
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "replace", "path": "active", "value": False},
        {"op": "remove"},
    )
    # then 400 noTarget, and the first two are undone
    assert response.status_code == 400
    assert response.json()["scimType"] == "noTarget"
    body = (await scim.call("GET", f"/Users/{user['id']}")).json()
    assert body["displayName"] == "Ann"
    assert body["active"] is True
    assert await Event.all().count() == events
    member = await _member(scim.organization_id, "ann@acme.com")
    assert member.status is MemberStatus.ACTIVE


async def test_etag_if_match(scim):
    user = await scim.create_user("ann", emails=[{"value": "ann@acme.com"}])
    response = await scim.call(
        "PATCH",
        f"/Users/{user['id']}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "title", "value": "x"}],
        },
        headers={"If-Match": 'W/"7"'},
    )
    assert response.status_code == 412
    response = await scim.call("GET", f"/Users/{user['id']}")
    assert response.headers["etag"] == 'W/"1"'
    assert "title" not in response.json()


async def test_group_patch_with_thousands_of_members(scim):
    # given 1,500 users (created directly: the HTTP path is exercised elsewhere)
    from gatehouse.models import DirectoryUser

    rows = [
        DirectoryUser(
            directory_id=scim.directory_id,
            user_name=f"u{i}",
            user_name_lower=f"u{i}",
            resource={"userName": f"u{i}"},
        )
        for i in range(1500)
    ]
    await DirectoryUser.bulk_create(rows, batch_size=500)
    ids = [r.id for r in rows]
    group = await scim.create_group("Everyone")
    # when one PATCH adds them all, then one removes half by value filter and value list
    response = await scim.patch(
        f"/Groups/{group['id']}",
        {"op": "add", "path": "members", "value": [{"value": i} for i in ids]},
    )
    assert response.status_code == 204, response.text
    response = await scim.patch(
        f"/Groups/{group['id']}",
        {"op": "remove", "path": f'members[value eq "{ids[0]}"]'},
        {"op": "remove", "path": "members", "value": [{"value": i} for i in ids[1:750]]},
    )
    assert response.status_code == 204
    body = (await scim.call("GET", f"/Groups/{group['id']}")).json()
    assert sorted(m["value"] for m in body["members"]) == sorted(ids[750:])
    assert await Event.filter(type="dsync.group.user_added").count() == 1500
    assert await Event.filter(type="dsync.group.user_removed").count() == 750
