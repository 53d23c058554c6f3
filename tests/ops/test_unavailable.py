"""Database-unreachable failures become a clear 503 wherever they happen: in an HTTP route
(JSON error), in authentication or inside a GraphQL resolver (code UNAVAILABLE), never a 500
with INTERNAL. Other failures still read as internal errors."""

from __future__ import annotations

import asyncpg
import httpx
from starlette.routing import Route

from gatehouse.ops.availability import is_database_unavailable
from gatehouse.resolvers import organizations
from gatehouse.server.app import create_app


async def _refused(_):
    raise ConnectionRefusedError(111, "Connect call failed")


async def _bug(_):
    raise ValueError("a bug")


async def test_http_route_gets_503_json_not_500(settings):
    app = create_app(settings, manage_db=False)
    app.router.routes += [Route("/test/refused", _refused), Route("/test/bug", _bug)]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        refused = await client.get("/test/refused")
        bug = await client.get("/test/bug")
    assert refused.status_code == 503
    assert refused.json() == {
        "error": "unavailable",
        "message": "The database is unreachable; retry shortly.",
    }
    assert refused.headers["retry-after"] == "5"
    assert bug.status_code == 500
    assert bug.json()["error"] == "internal_error"


async def test_resolver_losing_the_database_answers_unavailable(
    client, operator_token, make_org, monkeypatch
):
    org = await make_org("Acme")

    async def lost(*_args, **_kwargs):
        raise asyncpg.exceptions.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        )

    monkeypatch.setattr(organizations, "get_organization", lost)
    response = await client.post(
        "/graphql",
        json={
            "query": "query Org($id: ID!) { organization(id: $id) { name } }",
            "variables": {"id": org.id},
        },
        headers={"Authorization": f"Bearer {operator_token}"},
    )
    assert response.status_code == 503
    body = response.json()
    assert body["data"] == {"organization": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"]
    assert "asyncpg" not in response.text


def test_classification_follows_the_cause_chain():
    inner = ConnectionResetError()
    outer = RuntimeError("wrapped")
    outer.__cause__ = inner
    assert is_database_unavailable(outer)
    assert not is_database_unavailable(ValueError("no"))
    assert not is_database_unavailable(FileNotFoundError(2, "missing"))
