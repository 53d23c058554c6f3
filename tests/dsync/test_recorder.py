"""The SCIM request recorder: the last N requests per directory, redacted (no token, no
secret, values masked), with status, SCIM error type and what each request changed."""

from __future__ import annotations

import json

import httpx
import pytest

from gatehouse.models import Domain, DomainState, ScimRequestRecord
from gatehouse.server.app import create_app
from gatehouse.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.dsync.conftest import PATCH_SCHEMA, USER_SCHEMA, Scim

REQUESTS = """query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Directory {
  requests(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { method path status durationMs scimType detail body changes occurredAt } } }
} } }"""
PASSWORD = "Tr0ub4dor&3-horse"
API_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw"


@pytest.fixture
def settings(db: str) -> Settings:
    return Settings(
        DATABASE_URL=db, GATEHOUSE_SECRET_KEY=TEST_SECRET_KEY, GATEHOUSE_RECORDER_SIZE=6
    )


async def _records(gql, token: str, directory_id: str, first: int = 100, after=None) -> dict:
    body = await gql(REQUESTS, {"id": directory_id, "first": first, "after": after}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]["requests"]


async def test_recorder_keeps_the_last_n_redacted(gql, operator_token, make_org, make_directory):
    # given a directory of an organization that verified acme.com
    org = await make_org("Acme")
    await Domain.create(
        organization=org,
        domain="acme.com",
        verified_domain="acme.com",
        state=DomainState.VERIFIED,
        token="t",
    )
    scim: Scim = await make_directory(org)
    # when the IdP pushes a user with a password and a token in a custom extension
    body = {
        "schemas": [USER_SCHEMA],
        "userName": "alice@acme.com",
        "password": PASSWORD,
        "name": {"givenName": "Alice", "familyName": "Liddell"},
        "emails": [{"value": "alice@acme.com", "primary": True, "type": "work"}],
        "urn:example:custom:1.0:User": {"apiToken": API_TOKEN, "note": f"token {scim.token}"},
    }
    created = await scim.call("POST", "/Users", body)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    # a clash (409 uniqueness), a filtered GET, an Entra-style PATCH, a wrong token
    assert (await scim.call("POST", "/Users", body)).status_code == 409
    found = await scim.call("GET", '/Users?filter=userName eq "alice@acme.com"')
    assert found.json()["totalResults"] == 1
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    assert (await scim.call("PATCH", f"/Users/{user_id}", patch)).status_code == 200
    wrong = await scim.call("GET", "/Users", token="scim_" + "x" * 43)
    assert wrong.status_code == 401

    # then the directory's requests read newest first, each with its status and SCIM error
    records = await _records(gql, operator_token, scim.directory_id)
    rows = [
        (e["node"]["method"], e["node"]["status"], e["node"]["scimType"]) for e in records["edges"]
    ]
    assert rows == [
        ("GET", 401, None),
        ("PATCH", 200, None),
        ("GET", 200, None),
        ("POST", 409, "uniqueness"),
        ("POST", 201, None),
    ]
    newest_patch, get, clash, post = (e["node"] for e in records["edges"][1:])
    # and what each changed: the POST made the user and the membership, the PATCH ended it
    assert post["changes"][0].startswith("membership.created om_")
    assert f"user.created {user_id}" in post["changes"]
    assert clash["changes"] == []  # refused: rolled back
    assert any(c.startswith("membership.deactivated om_") for c in newest_patch["changes"])
    assert newest_patch["body"]["Operations"] == [
        {"op": "Replace", "path": "active", "value": "False"}
    ]
    # and the body is redacted: secrets gone, values masked, structure kept
    assert post["body"]["password"] == "[redacted]"
    assert post["body"]["urn:example:custom:1.0:User"]["apiToken"] == "[redacted]"
    assert post["body"]["urn:example:custom:1.0:User"]["note"] == "[redacted]"
    assert post["body"]["userName"] == "a•••@acme.com"
    assert post["body"]["name"] == {"givenName": "A•••", "familyName": "L•••"}
    assert post["body"]["emails"] == [{"value": "a•••@acme.com", "primary": True, "type": "work"}]
    assert get["path"] == f'/scim/v2/{scim.directory_id}/Users?filter=userName eq "a•••@acme.com"'
    assert records["edges"][0]["node"]["body"] is None  # an unauthenticated body is not kept
    assert post["durationMs"] >= 0

    # and nothing the recorder holds contains a token, a secret or a raw value
    stored = json.dumps(list(await ScimRequestRecord.all().values()), default=str)
    answered = json.dumps(records)
    for secret in (scim.token, PASSWORD, API_TOKEN, "alice@acme.com", "Liddell", "x" * 43):
        assert secret not in stored
        assert secret not in answered

    # when more than N (6) requests arrive, only the last N are kept
    for _ in range(4):
        await scim.call("GET", f"/Users/{user_id}")
    records = await _records(gql, operator_token, scim.directory_id, first=4)
    assert records["totalCount"] == 6
    assert await ScimRequestRecord.filter(directory_id=scim.directory_id).count() == 6
    assert records["pageInfo"]["hasNextPage"] is True
    older = await _records(
        gql, operator_token, scim.directory_id, 4, records["pageInfo"]["endCursor"]
    )
    assert [e["node"]["status"] for e in older["edges"]] == [401, 200]


async def test_values_shown_when_masking_is_off_but_secrets_never(db, make_org, make_directory):
    settings = Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=TEST_SECRET_KEY,
        GATEHOUSE_RECORDER_MASK_VALUES=False,
    )
    org = await make_org("Acme")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, manage_db=False)),
        base_url="http://testserver",
    ) as client:
        scim = await make_directory(org)
        scim.client = client
        await scim.create_user("bob@acme.com", password=PASSWORD, displayName=f"Bob {scim.token}")
    record = await ScimRequestRecord.get(directory_id=scim.directory_id)
    assert record.body["userName"] == "bob@acme.com"
    assert record.body["password"] == "[redacted]"
    assert scim.token not in json.dumps(record.body)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"schemas": [], "\\u0000": 1}', "NUL character"),
        (b'{"userName": "ann",', "not valid JSON"),
        (b"[" * 100 + b"]" * 100, "deeper than 64"),
    ],
    ids=["nul", "malformed", "deep"],
)
async def test_a_refused_body_is_kept_as_the_reason(
    gql, operator_token, make_org, make_directory, raw, says
):
    # PostgreSQL cannot store a NUL: the recorder once failed on it, and the IdP's refused
    # request was missing from the directory's requests.
    scim: Scim = await make_directory(await make_org("Acme"))
    response = await scim.client.post(
        f"{scim.base}/Users",
        content=raw,
        headers={"Authorization": f"Bearer {scim.token}", "Content-Type": "application/scim+json"},
    )
    assert response.status_code == 400
    [edge] = (await _records(gql, operator_token, scim.directory_id))["edges"]
    assert edge["node"]["status"] == 400
    assert edge["node"]["scimType"] == "invalidSyntax"
    note = edge["node"]["body"]["recorder"]
    assert note.startswith(f"{len(raw)} bytes, not kept: "), note
    assert says in note, note
