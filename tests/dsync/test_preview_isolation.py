"""Isolation of the preview and the recorder: an organization-scoped key of org A cannot read
org B's held changes, recorded SCIM requests or sign-in attempts, nor apply or discard B's
preview; B's own key can (the control)."""

from __future__ import annotations

import pytest

from gatehouse.auth.backend import principal_from_authorization
from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    Connection,
    Directory,
    DirectoryMode,
    DirectoryType,
    DirectoryUser,
    Event,
    Member,
    SignInAttempt,
    SignInOutcome,
)
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.directories import lifecycle as directories
from gatehouse.resolvers.directories import preview
from gatehouse.resolvers.recording import attempts, requests
from tests.dsync.conftest import Scim

READ = """query($id: ID!) { node(id: $id) { ... on Directory {
  pendingChanges { totalCount } requests { totalCount } } } }"""
CONN = (
    """query($id: ID!) { node(id: $id) { ... on Connection { signInAttempts { totalCount } } } }"""
)
MUTATIONS = {
    "applyDirectoryChanges": "mutation($id: ID!) { applyDirectoryChanges(input: {directoryId: $id}) "
    "{ directory { id } userErrors { code } } }",
    "discardDirectoryChanges": "mutation($id: ID!) { discardDirectoryChanges(input: "
    "{directoryId: $id}) { directory { id } userErrors { code } } }",
}


@pytest.fixture
async def b_side(client, make_org):
    a = await make_org("Org A")
    b = await make_org("Org B")
    op = operator_principal()
    _, a_token = await api_keys.create_api_key(op, "a key", a.id)
    _, b_token = await api_keys.create_api_key(op, "b key", b.id)
    directory, token = await directories.create_directory(
        op, b.id, "Okta", DirectoryType.OKTA, mode=DirectoryMode.PREVIEW
    )
    scim = Scim(client, directory.id, b.id, token)
    await scim.create_user("ann@b.example", emails=[{"value": "ann@b.example"}])
    conn = await Connection.create(organization=b, name="B IdP", type="SAML")
    await SignInAttempt.create(connection=conn, outcome=SignInOutcome.FAILED, reason="x")
    return {"a_token": a_token, "b_token": b_token, "directory": directory, "conn": conn}


async def _state(directory_id: str):
    return (
        (await Directory.get(id=directory_id)).mode,
        await DirectoryUser.filter(directory_id=directory_id).count(),
        await Member.all().count(),
        await Event.all().count(),
    )


@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_scoped_key_cannot_apply_or_discard_another_orgs_preview(gql, b_side, name):
    directory_id = b_side["directory"].id
    before = await _state(directory_id)
    body = await gql(MUTATIONS[name], {"id": directory_id}, token=b_side["a_token"])
    payload = body["data"][name]
    assert payload["directory"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    assert await _state(directory_id) == before


async def test_scoped_key_reads_no_held_change_request_or_attempt(gql, b_side, settings):
    directory, conn = b_side["directory"], b_side["conn"]
    # by node: nothing
    for query, target in ((READ, directory.id), (CONN, conn.id)):
        body = await gql(query, {"id": target}, token=b_side["a_token"])
        assert body.get("errors") is None
        assert body["data"]["node"] is None
    # by the resolvers themselves, had any other path reached them: empty
    a = await principal_from_authorization(f"Bearer {b_side['a_token']}", settings)
    assert (await preview.pending_changes(a, directory.id, 10, None)).items == []
    assert (await requests.list_scim_requests(a, directory, 10, None)).total == 0
    assert (await attempts.list_attempts(a, conn, 10, None)).total == 0
    # while B's own key sees them
    body = await gql(READ, {"id": directory.id}, token=b_side["b_token"])
    assert body["data"]["node"] == {
        "pendingChanges": {"totalCount": 1},
        "requests": {"totalCount": 1},
    }
    body = await gql(CONN, {"id": conn.id}, token=b_side["b_token"])
    assert body["data"]["node"] == {"signInAttempts": {"totalCount": 1}}
