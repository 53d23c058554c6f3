from __future__ import annotations

from gatehouse.models import Member, MemberSource, MemberStatus, User
from tests.dsync.conftest import event_types


async def test_create_user_makes_active_directory_member(scim):
    # given a directory, when the IdP creates an active user with an email
    body = await scim.create_user(
        "Ann@Acme.com",
        name={"givenName": "Ann", "familyName": "Lee"},
        emails=[{"value": "Ann@Acme.com", "type": "work", "primary": True}],
    )
    # then the SCIM resource echoes back and the person is an ACTIVE DIRECTORY member
    assert body["id"].startswith("diru_")
    assert body["userName"] == "Ann@Acme.com"
    assert body["meta"]["version"] == 'W/"1"'
    user = await User.get(email="ann@acme.com")
    member = await Member.get(user_id=user.id, organization_id=scim.organization_id)
    assert member.status is MemberStatus.ACTIVE
    assert member.source is MemberSource.DIRECTORY
    assert await event_types(scim.organization_id) == [
        "organization.created",
        "dsync.activated",
        "organization_membership.created",
        "dsync.user.created",
    ]


async def test_names_longer_than_a_user_holds_are_cut_to_fit(scim):
    # A directory user holds 200 characters of a name, a User 100: a longer givenName once
    # failed the create (Tortoise's length check, a 500).
    given, family = "G" * 150, "F" * 180
    body = await scim.create_user(
        "ann@acme.com",
        name={"givenName": given, "familyName": family},
        emails=[{"value": "ann@acme.com", "primary": True}],
    )
    assert body["name"] == {"givenName": given, "familyName": family}  # the IdP's, whole
    user = await User.get(email="ann@acme.com")
    assert (user.first_name, user.last_name) == (given[:100], family[:100])
