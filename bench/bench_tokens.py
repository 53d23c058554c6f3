"""`{ viewer { … } }` authenticated by an access token (JWT) against the same query by API key,
in one run, alternating, through the real app (in-process ASGI; SQLite, or PostgreSQL when
BENCH_DATABASE_URL points at a server).

What each costs before the query runs: the API key, one read by the hash of the secret (and a
write of last_used_at once a minute); the access token, an ES256 signature check (no database)
and then one read, the session joined to its member and role, so that a revocation, a
deactivation or a role change counts at once at Gatehouse. The operator's product, verifying
tokens itself through the JWKS, does no read at all.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from gatehouse.auth.principal import operator_principal
from gatehouse.auth.tokens import verify_access_token
from gatehouse.models import AuthenticationMethod
from gatehouse.resolvers import api_keys, members, organizations
from gatehouse.resolvers.sign_in.authentication import authenticate_member
from gatehouse.server.app import create_app
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.settings import Settings

ROUNDS = 5
SECONDS_PER_ROUND = 2.0
QUERY = "{ viewer { kind organizationId permissions } }"


async def _rate(client: httpx.AsyncClient, token: str) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS_PER_ROUND:
        response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
        assert response.json()["data"]["viewer"]["kind"] in ("SESSION", "ORGANIZATION_KEY")
        count += 1
    return count / (time.perf_counter() - start)


async def _verify_only(settings: Settings, token: str, n: int = 2000) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await verify_access_token(
            token, issuer=settings.issuer, ttl_seconds=settings.access_token_ttl_seconds
        )
    return (time.perf_counter() - start) / n


async def run(url: str) -> None:
    await migrate(url)
    await init_db(url)
    op = operator_principal()
    org = await organizations.create_organization(op, organizations.NewOrganization("Bench"))
    member = await members.create_member(op, org.id, "bench@bench.example", "admin")
    # An organization key: the same scope as the member's session, the fairest comparison.
    _, key = await api_keys.create_api_key(op, "bench", org.id)
    settings = Settings(
        DATABASE_URL=url,
        GATEHOUSE_RATE_LIMIT_ENABLED=False,
        # Long enough for the whole run, as a product would refresh before it ran out.
        GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS=3600,
    )
    auth = await authenticate_member(member, AuthenticationMethod.EMAIL_CODE, settings)
    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        for token in (key, auth.access_token):  # warm up both paths
            for _ in range(50):
                await client.post(
                    "/graphql",
                    json={"query": QUERY},
                    headers={"Authorization": f"Bearer {token}"},
                )
        by_key, by_token = [], []
        for _ in range(ROUNDS):
            by_key.append(await _rate(client, key))
            by_token.append(await _rate(client, auth.access_token))
    verify = await _verify_only(settings, auth.access_token)
    await close_db()
    key_rps, token_rps = max(by_key), max(by_token)
    rounds = f"best of {ROUNDS} alternating rounds of {SECONDS_PER_ROUND:.0f}s"
    print(f"viewer query, in-process ASGI, {rounds}")
    print(f"  by API key       : {key_rps:8.1f} req/s")
    print(f"  by access token  : {token_rps:8.1f} req/s")
    print(f"  token / key time : {key_rps / token_rps:8.2f}x (1.0 = the same cost)")
    print(f"  JWT check alone  : {verify * 1e6:8.1f} us per token (ES256, no database)")


async def main() -> None:
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        with tempfile.TemporaryDirectory() as tmp:
            print("database: SQLite")
            await run(f"sqlite://{Path(tmp) / 'bench.db'}")
        return
    name = f"gatehouse_bench_{secrets.token_hex(4)}"
    admin_dsn = base.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        print("database: PostgreSQL")
        await run(base.rsplit("/", 1)[0] + f"/{name}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
