"""ACS throughput: signed SAML responses validated and JIT-provisioned per second, through the
real app over HTTP (httpx ASGI transport, SQLite), against bare xmlsec verification of the
same responses in the same process. Prints both and the ratio."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from pathlib import Path

import httpx

from gatehouse.auth.principal import operator_principal
from gatehouse.models import Domain, DomainState
from gatehouse.resolvers import organizations
from gatehouse.resolvers.sso import connections
from gatehouse.resolvers.sso.config import SamlIdp
from gatehouse.server.app import create_app
from gatehouse.server.db import close_db, init_db, migrate
from gatehouse.settings import Settings
from tests.sso.saml_idp import Assertion, b64, make_keypair, signed, verify_signature

N = 300
BASE = "https://gatehouse.bench"


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.db'}"
        await migrate(url)
        await init_db(url)
        try:
            await run(url)
        finally:
            await close_db()


async def run(url: str) -> None:
    settings = Settings(
        DATABASE_URL=url,
        GATEHOUSE_SECRET_KEY=secrets.token_urlsafe(32),
        GATEHOUSE_BASE_URL=BASE,
        GATEHOUSE_REDIRECT_URIS="https://app.example.com/callback",
    )
    keys = make_keypair()
    op = operator_principal()
    org = await organizations.create_organization(op, organizations.NewOrganization("Bench"))
    org.jit_provisioning = True
    await org.save()
    await Domain.create(
        organization=org,
        domain="acme.com",
        verified_domain="acme.com",
        state=DomainState.VERIFIED,
        token="x",
    )
    conn = await connections.create_saml_connection(
        op,
        org.id,
        "Bench IdP",
        idp=SamlIdp("https://idp.test/metadata", "https://idp.test/sso", [keys.cert_b64]),
        allow_idp_initiated=True,
    )
    await connections.activate_connection(op, conn.id)
    acs = f"{BASE}/sso/saml/{conn.id}/acs"
    responses = [
        signed(
            Assertion(
                destination=acs,
                audience=f"{BASE}/sso/saml/{conn.id}",
                recipient=acs,
                name_id=f"user{i}@acme.com",
                attributes={"email": f"user{i}@acme.com", "firstName": f"U{i}"},
            ),
            keys,
        )
        for i in range(N)
    ]

    start = time.perf_counter()
    for xml in responses:
        verify_signature(xml, keys)
    bare = N / (time.perf_counter() - start)

    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        start = time.perf_counter()
        for xml in responses:
            r = await client.post(f"/sso/saml/{conn.id}/acs", data={"SAMLResponse": b64(xml)})
            if r.status_code != 302:
                raise SystemExit(f"ACS refused a valid response: {r.text}")
        acs_rate = N / (time.perf_counter() - start)

    print(f"responses: {N} (RSA-2048/SHA-256, each a new user JIT-provisioned, SQLite)")
    print(f"bare xmlsec verification: {bare:,.0f} responses/s")
    print(f"ACS validate + provision:  {acs_rate:,.0f} responses/s")
    print(
        f"ratio (ACS / bare xmlsec): {acs_rate / bare:.3f} (bare is {bare / acs_rate:.1f}x faster)"
    )


if __name__ == "__main__":
    asyncio.run(main())
