"""deleteUser erases a person from every table (events keep their ids, lose the person), and
exportUser answers an access request."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import Tortoise

from gatehouse.auth.principal import operator_principal
from gatehouse.models import DirectoryUser, Event, Member, User
from gatehouse.resolvers import members
from tests.identity.conftest import oidc_connection, scim_user

EMAIL = "zebediah.quimbleworth@acme.com"
FIRST, LAST = "Zebediah", "Quimbleworth"
DELETE = """mutation($i: DeleteUserInput!) { deleteUser(input: $i) {
  deletedId userErrors { field code } } }"""
EXPORT = "query($id: ID!) { exportUser(userId: $id) }"


async def _every_row_mentioning(*needles: str) -> list[tuple[str, str]]:
    """(table, row) for every row of every table whose text holds one of the needles."""
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        _, tables = await conn.execute_query(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    else:
        _, tables = await conn.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    found = []
    for table in [t["name"] for t in tables]:
        _, rows = await conn.execute_query(f'SELECT * FROM "{table}"')
        for row in rows:
            text = " ".join(str(value) for value in dict(row).values()).lower()
            if any(needle.lower() in text for needle in needles):
                found.append((table, text[:200]))
    return found


@pytest.fixture
async def world(
    company, make_directory, provider, sign_in_with_sso, sign_in_with_code, invite
) -> dict[str, Any]:
    """Zebediah: provisioned by Acme's directory (in a group), signed in by SSO and by
    emailed code, invited to Globex; and Olga, whose records must not change."""
    acme = await company("Acme", "acme.com")
    globex = await company("Globex", "globex.com")
    scim = await make_directory(acme)
    pushed = await scim.create_user(
        EMAIL,
        name={"givenName": FIRST, "familyName": LAST},
        displayName=f"{FIRST} {LAST}",
        **scim_user(EMAIL),
    )
    await scim.create_group("Engineering", [pushed["id"]])
    olga = await scim.create_user(
        "olga@acme.com",
        name={"givenName": "Olga", "familyName": "Other"},
        **scim_user("olga@acme.com"),
    )
    conn = await oidc_connection(acme, provider)
    provider.user = {**provider.user, "given_name": FIRST, "family_name": LAST}
    assert (await sign_in_with_sso(conn, EMAIL, "okta-zeb")).issued
    assert (await sign_in_with_code(EMAIL, acme.id))["userErrors"] == []
    await invite(globex, EMAIL)
    zeb = await User.get(email=EMAIL)
    return {"acme": acme, "scim": scim, "zeb": zeb, "olga_diru": olga["id"]}


async def test_delete_user_leaves_no_row_with_the_persons_email_or_names(
    world, gql, operator_token
):
    zeb = world["zeb"]
    member_ids = [m.id for m in await Member.filter(user_id=zeb.id)]
    assert await _every_row_mentioning(EMAIL, FIRST, LAST)  # there is something to erase
    others_before = [
        (e.id, e.data)
        for e in await Event.all().order_by("id")
        if "olga" in str(e.data).lower() and EMAIL not in str(e.data).lower()
    ]
    assert others_before
    events_before = await Event.all().count()

    body = await gql(DELETE, {"i": {"userId": zeb.id}}, token=operator_token)

    assert body["data"]["deleteUser"] == {"deletedId": zeb.id, "userErrors": []}
    assert await _every_row_mentioning(EMAIL, FIRST, LAST) == []
    # the events stay (with their ids), other people's exactly as they were
    assert await Event.all().count() > events_before
    others_after = [
        (e.id, e.data)
        for e in await Event.filter(id__in=[i for i, _ in others_before]).order_by("id")
    ]
    assert others_after == others_before
    deleted = await Event.get(type="user.deleted")
    assert deleted.data == {
        "user_id": zeb.id,
        "member_ids": member_ids,
        "organization_ids": [world["acme"].id],
    }
    assert await DirectoryUser.filter(id=world["olga_diru"]).exists()


async def test_a_later_push_from_the_idp_creates_the_person_anew(
    company, make_directory, gql, operator_token
):
    acme = await company("Acme", "acme.com")
    scim = await make_directory(acme)
    first = await scim.create_user(EMAIL, **scim_user(EMAIL))
    zeb = await User.get(email=EMAIL)
    await gql(DELETE, {"i": {"userId": zeb.id}}, token=operator_token)
    assert not await DirectoryUser.exists(id=first["id"])

    again = await scim.create_user(EMAIL, **scim_user(EMAIL))

    assert again["id"] != first["id"]
    assert (await User.get(email=EMAIL)).id != zeb.id


async def test_export_user_holds_what_gatehouse_knows(world, gql, operator_token, org_key):
    zeb = world["zeb"]

    body = await gql(EXPORT, {"id": zeb.id}, token=operator_token)
    scoped = await gql(EXPORT, {"id": zeb.id}, token=await org_key(world["acme"]))

    exported = body["data"]["exportUser"]
    assert exported["user"]["email"] == EMAIL
    assert [m["organization_id"] for m in exported["memberships"]] == [world["acme"].id]
    assert len(exported["sessions"]) == 2  # SSO and the emailed code
    assert [i["subject"] for i in exported["sso_identities"]] == ["okta-zeb"]
    assert exported["directory_users"][0]["resource"]["name"]["familyName"] == LAST
    assert len(exported["invitations"]) == 1
    types = {e["type"] for e in exported["events"]}
    assert {"authentication.sso_succeeded", "dsync.user.created", "invitation.created"} <= types
    assert scoped["data"] == {"exportUser": None}
    assert scoped["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_delete_user_is_the_operators(company, gql, org_key):
    acme = await company("Acme", "acme.com")
    ann = await members.create_member(operator_principal(), acme.id, "ann@acme.com")

    body = await gql(DELETE, {"i": {"userId": ann.user_id}}, token=await org_key(acme))

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await User.exists(id=ann.user_id)
