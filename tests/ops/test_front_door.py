"""`GET /` names the GraphQL endpoint, the IDE (development only), health and the docs: HTML
for browsers, JSON for API clients."""

from __future__ import annotations

from gatehouse.server.app import create_app


async def test_front_door_json_for_api_clients(client):
    r = await client.get("/", headers={"Accept": "*/*"})
    assert r.status_code == 200
    body = r.json()
    assert body["graphql"].endswith("/graphql")
    assert body["graphiql"].endswith("/graphql")  # development: the IDE is on
    assert body["health"]["ready"].endswith("/readyz")
    assert body["health"]["live"].endswith("/healthz")
    assert "README.md" in body["docs"]


async def test_front_door_page_for_browsers(client):
    r = await client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "/graphql" in r.text
    assert "/readyz" in r.text
    assert "GraphiQL" in r.text


async def test_front_door_in_production_names_no_ide(settings, db):
    import httpx

    prod = settings.model_copy(update={"environment": "production"})
    app = create_app(prod, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = (await c.get("/")).json()
    assert body["graphiql"] is None
    assert body["graphql"].endswith("/graphql")
