"""A directory token reaches its own directory only; the 401 tells nothing about others."""

from __future__ import annotations

from gatehouse.models import DirectoryUser, Event
from tests.dsync.conftest import USER_SCHEMA


async def test_other_directorys_token_is_401_and_leaks_nothing(make_directory, make_org):
    # given two organizations, each with a directory and a user
    a = await make_directory(await make_org("A"))
    b = await make_directory(await make_org("B"))
    b_user = await b.create_user("secret-person@b.com", emails=[{"value": "secret-person@b.com"}])
    before = (await DirectoryUser.all().count(), await Event.all().count())
    # when A's token is used on B's URLs (read, write, and item by id)
    calls = [
        ("GET", "/Users", None),
        ("GET", f"/Users/{b_user['id']}", None),
        ("POST", "/Users", {"schemas": [USER_SCHEMA], "userName": "intruder"}),
        ("DELETE", f"/Users/{b_user['id']}", None),
        ("GET", "/ServiceProviderConfig", None),
    ]
    bodies = set()
    for method, path, body in calls:
        response = await b.call(method, path, body, token=a.token)
        # then 401, always the same body, naming nothing of B
        assert response.status_code == 401
        assert b.directory_id not in response.text
        assert "secret" not in response.text
        bodies.add(response.text)
    # the same answer as an unknown directory and a garbage token
    unknown = await a.client.get(
        "/scim/v2/dir_01JAAAAAAAAAAAAAAAAAAAAAAA/Users",
        headers={"Authorization": f"Bearer {a.token}"},
    )
    garbage = await b.call("GET", "/Users", token="scim_garbage")
    missing = await b.client.get(f"{b.base}/Users")
    assert {unknown.text, garbage.text, missing.text} | bodies == bodies
    assert (await DirectoryUser.all().count(), await Event.all().count()) == before


async def test_token_only_lists_its_own_directory(make_directory, make_org):
    a = await make_directory(await make_org("A"))
    b = await make_directory(await make_org("B"))
    await a.create_user("ann", emails=[{"value": "ann@a.com"}])
    b_user = await b.create_user("bob", emails=[{"value": "bob@b.com"}])
    response = await a.call("GET", "/Users")
    assert [r["userName"] for r in response.json()["Resources"]] == ["ann"]
    # an id of B's under A's URL with A's token: not found, as if it did not exist
    response = await a.call("GET", f"/Users/{b_user['id']}")
    assert response.status_code == 404
    response = await a.call("GET", "/Users", params={"filter": f'id eq "{b_user["id"]}"'})
    assert response.json()["totalResults"] == 0
    response = await a.patch(
        f"/Users/{b_user['id']}", {"op": "replace", "path": "active", "value": False}
    )
    assert response.status_code == 404
