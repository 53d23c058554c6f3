"""SCIM token rotation without downtime: both tokens work during the overlap; completing it
leaves only the new one, cancelling it only the old one, and the overlap ends on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Directory, Event
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.directories import lifecycle as directories
from tests.dsync.conftest import event_types

DIR = "directory { tokenRotationExpiresAt tokenPrefix }"
ROTATE = f"""mutation($i: DirectoryInput!) {{ rotateDirectoryToken(input: $i) {{
    bearerToken {DIR} userErrors {{ code }} }} }}"""
COMPLETE = f"""mutation($i: DirectoryInput!) {{ completeDirectoryTokenRotation(input: $i) {{
    {DIR} userErrors {{ code }} }} }}"""
CANCEL = f"""mutation($i: DirectoryInput!) {{ cancelDirectoryTokenRotation(input: $i) {{
    {DIR} userErrors {{ code }} }} }}"""


async def _status(scim, token: str) -> int:
    return (await scim.call("GET", "/Users", token=token)).status_code


async def test_both_tokens_work_during_rotation_then_only_the_new_one(gql, operator_token, scim):
    old = scim.token
    # when the token is rotated
    body = await gql(ROTATE, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    payload = body["data"]["rotateDirectoryToken"]
    new = payload["bearerToken"]
    assert new
    assert new != old
    assert payload["userErrors"] == []
    # then the overlap is the default 7 days, and both tokens authenticate, for writes too
    ends = datetime.fromisoformat(payload["directory"]["tokenRotationExpiresAt"])
    assert abs(ends - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    assert payload["directory"]["tokenPrefix"] == new[:9]
    assert await _status(scim, old) == 200
    assert await _status(scim, new) == 200
    created = await scim.call(
        "POST",
        "/Users",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann"},
        token=old,
    )
    assert created.status_code == 201, created.text
    # when the rotation is completed, only the new one does
    body = await gql(COMPLETE, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    assert body["data"]["completeDirectoryTokenRotation"] == {
        "directory": {"tokenRotationExpiresAt": None, "tokenPrefix": new[:9]},
        "userErrors": [],
    }
    assert await _status(scim, old) == 401
    assert await _status(scim, new) == 200
    # each step is an event, never carrying a token
    types = await event_types(scim.organization_id)
    assert "dsync.token_rotated" in types
    assert "dsync.token_rotation_completed" in types
    for event in await Event.filter(type__startswith="dsync.token"):
        assert old not in str(event.data)
        assert new not in str(event.data)
        assert event.data["id"] == scim.directory_id
    # and there is nothing left to complete
    body = await gql(COMPLETE, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    assert body["data"]["completeDirectoryTokenRotation"]["userErrors"] == [
        {"code": "NO_ROTATION_IN_PROGRESS"}
    ]


async def test_cancel_drops_the_new_token(gql, operator_token, scim):
    old = scim.token
    body = await gql(ROTATE, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    new = body["data"]["rotateDirectoryToken"]["bearerToken"]
    body = await gql(CANCEL, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    assert body["data"]["cancelDirectoryTokenRotation"]["userErrors"] == []
    assert body["data"]["cancelDirectoryTokenRotation"]["directory"]["tokenPrefix"] == old[:9]
    assert await _status(scim, new) == 401
    assert await _status(scim, old) == 200
    assert "dsync.token_rotation_cancelled" in await event_types(scim.organization_id)


async def test_the_overlap_ends_on_its_own(scim):
    old = scim.token
    _, new = await directories.rotate_directory_token(
        operator_principal(), scim.directory_id, timedelta(hours=1)
    )
    assert await _status(scim, old) == 200
    # when the overlap has passed
    await Directory.filter(id=scim.directory_id).update(
        previous_token_expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert await _status(scim, old) == 401
    assert await _status(scim, new) == 200


async def test_rotating_again_keeps_the_token_the_idp_still_sends(scim):
    old = scim.token
    _, unused = await directories.rotate_directory_token(operator_principal(), scim.directory_id)
    _, new = await directories.rotate_directory_token(operator_principal(), scim.directory_id)
    assert await _status(scim, old) == 200
    assert await _status(scim, new) == 200
    assert await _status(scim, unused) == 401


async def test_the_overlap_is_configurable(gql, operator_token, scim, settings):
    # GATEHOUSE_DIRECTORY_TOKEN_OVERLAP_SECONDS, read by the app at each rotation
    settings.directory_token_overlap_seconds = 7200
    body = await gql(ROTATE, {"i": {"directoryId": scim.directory_id}}, token=operator_token)
    ends = datetime.fromisoformat(
        body["data"]["rotateDirectoryToken"]["directory"]["tokenRotationExpiresAt"]
    )
    assert abs(ends - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(minutes=1)


async def test_another_organizations_key_cannot_rotate_complete_or_cancel(
    gql, make_org, make_directory
):
    other = await make_directory(await make_org("B"))
    await directories.rotate_directory_token(operator_principal(), other.directory_id)
    _, key = await api_keys.create_api_key(operator_principal(), "a", (await make_org("A")).id)
    before = await Event.all().count()
    for mutation, name in (
        (ROTATE, "rotateDirectoryToken"),
        (COMPLETE, "completeDirectoryTokenRotation"),
        (CANCEL, "cancelDirectoryTokenRotation"),
    ):
        body = await gql(mutation, {"i": {"directoryId": other.directory_id}}, token=key)
        assert body["data"][name]["directory"] is None
        assert body["data"][name]["userErrors"] == [{"code": "NOT_FOUND"}]
    assert await Event.all().count() == before
    # the rotation B started is untouched: both of its tokens still work
    assert await _status(other, other.token) == 200


@pytest.mark.parametrize(("path_id", "status"), [("not-an-id", 401), ("%00", 400)])
async def test_a_directory_path_that_is_no_id_is_refused(scim, path_id, status):
    # PostgreSQL refuses a NUL byte in a query: the URL check refuses it before any route
    r = await scim.client.get(
        f"/scim/v2/{path_id}/Users", headers={"Authorization": f"Bearer {scim.token}"}
    )
    assert r.status_code == status
