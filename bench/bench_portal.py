"""Admin Portal: the cost of each step an admin's browser takes, over the real app (httpx's
ASGI transport, SQLite file): mint a link (GraphQL), open it (the Continue page, then its POST:
consume + session + redirect), render the home page, and one cookie + CSRF GraphQL call (the
domain page's list query)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from gatehouse.auth.portal import CSRF_HEADER, csrf_token_for
from gatehouse.auth.principal import operator_principal
from gatehouse.resolvers import api_keys, organizations
from gatehouse.server.app import create_app
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.settings import Settings

ROUNDS = 200
GENERATE = """mutation($o: ID!) { generatePortalLink(input: {organizationId: $o,
  intents: [DOMAIN_VERIFICATION, SSO]}) { link userErrors { code } } }"""
LIST = "query($o: ID!) { organization(id: $o) { domains { id domain state } } }"


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.db'}"
        await migrate(url)
        await init_db(url)
        # The bench measures the portal, not the per-key rate limit (one key mints every link).
        settings = Settings(
            DATABASE_URL=url, GATEHOUSE_DOMAIN_RECHECKS=False, GATEHOUSE_RATE_LIMIT_ENABLED=False
        )
        _, secret = await api_keys.create_api_key(operator_principal(), "bench")
        org = await organizations.create_organization(
            operator_principal(), organizations.NewOrganization("Bench Co")
        )
        app = create_app(settings, manage_db=False)
        timings: dict[str, list[float]] = {"mint": [], "open": [], "home": [], "graphql": []}
        origin = settings.base_url.rstrip("/")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            for _ in range(ROUNDS):
                client.cookies.clear()
                t0 = time.perf_counter()
                body = (
                    await client.post(
                        "/graphql",
                        json={"query": GENERATE, "variables": {"o": org.id}},
                        headers={"Authorization": f"Bearer {secret}"},
                    )
                ).json()
                t1 = time.perf_counter()
                assert body.get("data"), body
                link = body["data"]["generatePortalLink"]["link"]
                path = link.removeprefix(origin)
                assert (await client.get(path)).status_code == 200
                opened = await client.post(
                    "/portal/start",
                    data={"token": path.partition("token=")[2]},
                    headers={"Origin": origin},
                )
                assert opened.status_code == 303
                t2 = time.perf_counter()
                assert (await client.get("/portal")).status_code == 200
                t3 = time.perf_counter()
                cookie = client.cookies["gatehouse_portal"]
                listed = await client.post(
                    "/graphql",
                    json={"query": LIST, "variables": {"o": org.id}},
                    headers={
                        CSRF_HEADER: csrf_token_for(settings.secret_key, cookie),
                        "Origin": origin,
                    },
                )
                assert "errors" not in listed.json()
                t4 = time.perf_counter()
                for name, span in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                    timings[name].append(span * 1000)
        await close_db()
    print(f"portal, {ROUNDS} admins, SQLite, in-process ASGI (ms per request):")
    for name, values in timings.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"  {name:8s} median {statistics.median(values):6.2f}   p95 {p95:6.2f}")


if __name__ == "__main__":
    asyncio.run(main())
