"""Operation limits, malformed requests and masked internal errors."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from gatehouse.resolvers import organizations
from gatehouse.server.app import create_app
from gatehouse.settings import Settings


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_malformed_json_is_400(client, operator_token):
    response = await client.post(
        "/graphql",
        content=b"{not json",
        headers={**_auth(operator_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text


async def test_oversized_body_is_413_before_parsing(client, operator_token, settings):
    big = "x" * (settings.max_body_bytes + 1)
    response = await client.post(
        "/graphql", json={"query": "{ viewer { kind } }", "v": big}, headers=_auth(operator_token)
    )
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"


async def test_batched_operations_are_refused(client, operator_token):
    response = await client.post(
        "/graphql", json=[{"query": "{ viewer { kind } }"}] * 5, headers=_auth(operator_token)
    )
    assert response.status_code == 400


async def test_depth_limit(gql, operator_token):
    deep = (
        "{ organizations { edges { node { members { edges { node { user { memberships { "
        "organization { members { edges { node { user { memberships { id } } } } } } } } } } } } } } }"
    )
    body = await gql(deep, token=operator_token)
    assert body["data"] is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_alias_limit(gql, operator_token):
    aliases = " ".join(f"a{i}: viewer {{ kind }}" for i in range(31))
    body = await gql("{ " + aliases + " }", token=operator_token)
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"]


async def test_token_limit(gql, operator_token):
    fields = " ".join(["kind"] * 3001)
    body = await gql("{ viewer { " + fields + " } }", token=operator_token)
    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()


@pytest.mark.parametrize("first", [101, -1])
async def test_page_size_over_100_is_refused(gql, operator_token, first):
    body = await gql(
        "query($f: Int) { organizations(first: $f) { totalCount } }",
        {"f": first},
        token=operator_token,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED"


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Forged cursors: a NUL (PostgreSQL refuses it in a query), text no cursor of ours holds, and
# event positions past a bigint or in digits int() refuses. Each was once an INTERNAL error.
@pytest.mark.parametrize("cursor", ["%%%", _b64("\x00"), _b64("org_\u00e9"), _b64("a\nb")])
async def test_bad_cursor_is_refused(gql, operator_token, make_org, cursor):
    org = await make_org("Acme")
    for document in (
        "query($a: String) { organizations(after: $a) { totalCount } }",
        "query($a: String, $o: ID!) { organization(id: $o) { members(after: $a) { totalCount } } }",
        "query($a: String, $o: ID!) { organization(id: $o) { auditLogs(after: $a) { totalCount } } }",
        "query($a: String) { events(after: $a) { edges { cursor } } }",
    ):
        body = await gql(document, {"a": cursor, "o": org.id}, token=operator_token)
        assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", (document, body)


@pytest.mark.parametrize("position", ["9" * 19, "9" * 40, "\u00b2", "-1", ""])
async def test_an_event_cursor_out_of_range_is_refused(gql, operator_token, position):
    body = await gql(
        "query($a: String) { events(after: $a) { edges { cursor } } }",
        {"a": _b64(f"pos:{position}")},
        token=operator_token,
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", body


async def test_pagination_walks_every_item_once(gql, operator_token, make_org):
    for i in range(5):
        await make_org(f"Org {i}")
    seen, after = [], None
    while True:
        body = await gql(
            "query($a: String) { organizations(first: 2, after: $a) { "
            "pageInfo { hasNextPage endCursor } edges { node { name } } } }",
            {"a": after},
            token=operator_token,
        )
        page = body["data"]["organizations"]
        seen += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"Org {i}" for i in range(5)]


async def test_internal_errors_are_masked_and_logged(gql, operator_token, monkeypatch, caplog):
    async def boom(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM internals at /srv/app.py")

    monkeypatch.setattr(organizations, "list_organizations", boom)
    with caplog.at_level(logging.ERROR, logger="gatehouse.graphql"):
        body = await gql("{ organizations { totalCount } }", token=operator_token)
    error = body["errors"][0]
    assert error["message"].startswith("Internal error. Reference: req_")
    assert error["extensions"]["code"] == "INTERNAL"
    for leak in ("SELECT", "RuntimeError", "/srv", "Traceback", "internals"):
        assert leak not in str(body)
    assert error["extensions"]["requestId"] in caplog.text


async def test_introspection_and_ide_off_in_production(db, operator_token):
    app = create_app(Settings(DATABASE_URL=db, GATEHOUSE_ENV="production"), manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post(
            "/graphql",
            json={"query": "{ __schema { types { name } } }"},
            headers=_auth(operator_token),
        )
        assert r.json()["data"] is None
        assert "introspection" in r.json()["errors"][0]["message"].lower()
        ide = await c.get("/graphql", headers={"Accept": "text/html"})
        assert ide.status_code != 200 or "graphiql" not in ide.text.lower()


async def test_unknown_route_is_json_404(client, db):
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.json()["error"] == "http_error"
