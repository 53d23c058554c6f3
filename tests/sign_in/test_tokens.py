"""Access tokens as the operator's product sees them: verified by PyJWT's JWKS client (a library
Gatehouse does not sign with) against a running server's `/.well-known/jwks.json`; key rotation
with `gatehouse keys rotate`; and forged tokens refused (SECURITY 46)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import jwt as pyjwt
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gatehouse.auth.principal import operator_principal
from gatehouse.auth.tokens import KEYS, LEEWAY_SECONDS, issue_access_token
from gatehouse.models import SigningKey
from gatehouse.resolvers import members
from gatehouse.server.app import create_app
from gatehouse.settings import Settings
from tests.ops.procs import free_port
from tests.people import signed_in
from tests.sign_in.conftest import VIEWER


@pytest.fixture
async def live(db):
    port = free_port()
    settings = Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_BASE_URL=f"http://127.0.0.1:{port}",
        GATEHOUSE_RATE_LIMIT_ENABLED=False,
    )
    app = create_app(settings, manage_db=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield settings
    server.should_exit = True
    await task


async def _jwks_client(issuer: str) -> pyjwt.PyJWKClient:
    async with httpx.AsyncClient() as http:
        discovery = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    return pyjwt.PyJWKClient(discovery["jwks_uri"], cache_keys=False)


def _verify(client: pyjwt.PyJWKClient, token: str, issuer: str) -> dict:
    # PyJWKClient fetches over blocking urllib; it runs beside the event loop serving it.
    key = client.get_signing_key_from_jwt(token)
    return pyjwt.decode(
        token, key.key, algorithms=["ES256"], issuer=issuer, options={"require": ["exp", "iat"]}
    )


async def test_tokens_verify_with_an_independent_library_through_jwks(live, make_org):
    org = await make_org()
    member = await members.create_member(operator_principal(), org.id, "ada@acme.test", "admin")
    token = await signed_in(member, live)

    client = await _jwks_client(live.issuer)
    claims = await asyncio.to_thread(_verify, client, token, live.issuer)

    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"
    assert header["kid"].startswith("jwk_")
    assert claims["sub"] == member.user_id
    assert claims["org_id"] == org.id
    assert claims["member_id"] == member.id
    assert claims["sid"].startswith("sess_")
    assert claims["role"] == "admin"
    assert "members:write" in claims["permissions"]
    assert claims["exp"] - claims["iat"] == live.access_token_ttl_seconds
    assert len(claims["jti"]) >= 16


async def test_after_keys_rotate_old_tokens_verify_until_they_expire(live, make_org):
    org = await make_org()
    member = await members.create_member(operator_principal(), org.id, "ada@acme.test")
    old_token = await signed_in(member, live)
    old_kid = pyjwt.get_unverified_header(old_token)["kid"]

    # when the operator rotates the signing key (the CLI, its own process)
    rotated = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gatehouse.server.cli", "keys", "rotate"],
        env={**os.environ, "DATABASE_URL": live.database_url, "GATEHOUSE_ENV": "development"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert rotated.returncode == 0, rotated.stderr
    new_kid = rotated.stdout.split()[0]
    assert new_kid.startswith("jwk_")
    assert new_kid != old_kid

    # then new tokens carry the new kid, and both verify through the published set
    new_token = await signed_in(member, live)
    assert pyjwt.get_unverified_header(new_token)["kid"] == new_kid
    client = await _jwks_client(live.issuer)
    for token in (old_token, new_token):
        await asyncio.to_thread(_verify, client, token, live.issuer)
    # and Gatehouse itself still takes the old one
    async with httpx.AsyncClient(base_url=live.issuer) as http:
        viewer = await http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {old_token}"}
        )
    assert viewer.json()["data"]["viewer"]["organizationId"] == org.id

    # when every token the old key signed has expired, it leaves the set
    past = datetime.now(UTC) - timedelta(seconds=live.access_token_ttl_seconds + LEEWAY_SECONDS + 1)
    await SigningKey.filter(id=old_kid).update(retired_at=past)
    async with httpx.AsyncClient() as http:
        published = (await http.get(f"{live.issuer}/.well-known/jwks.json")).json()
    assert [k["kid"] for k in published["keys"]] == [new_kid]
    with pytest.raises(pyjwt.PyJWKClientError):
        await asyncio.to_thread(_verify, await _jwks_client(live.issuer), old_token, live.issuer)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict, claims: dict, sign) -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(sign(f'{head}.{body}'.encode()))}"


async def test_forged_and_stale_tokens_are_refused(gql, settings, make_org):
    org = await make_org()
    member = await members.create_member(operator_principal(), org.id, "ada@acme.test", "admin")
    genuine = await signed_in(member, settings)
    header = pyjwt.get_unverified_header(genuine)
    claims = pyjwt.decode(genuine, options={"verify_signature": False})
    key = await SigningKey.get(id=header["kid"])
    public_pem = pyjwt.PyJWK(key.public_jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    attacker = ec.generate_private_key(ec.SECP256R1())
    forged = [
        # alg none
        _forge({"alg": "none", "kid": header["kid"]}, claims, lambda _: b""),
        # HS256 keyed with the published public key (algorithm confusion)
        _forge(
            {"alg": "HS256", "kid": header["kid"]},
            claims,
            lambda m: hmac.new(public_pem, m, hashlib.sha256).digest(),
        ),
        # the right kid, another key, with that key offered in the header (jwk), or a jku
        pyjwt.encode(claims, attacker, algorithm="ES256", headers={"kid": header["kid"]}),
        pyjwt.encode(
            claims,
            attacker,
            algorithm="ES256",
            headers={"kid": "jwk_attacker", "jku": "https://evil.example/jwks.json"},
        ),
        # a genuine signature over altered claims
        ".".join(
            (
                genuine.split(".")[0],
                _b64(json.dumps({**claims, "role": "owner"}).encode()),
                genuine.split(".")[2],
            )
        ),
    ]
    # genuinely signed, but for another issuer, or expired
    wrong_issuer, _ = await issue_access_token(
        issuer="https://evil.example",
        secret_key=settings.secret_key,
        ttl_seconds=300,
        user_id=member.user_id,
        session_id=claims["sid"],
        organization_id=org.id,
        member_id=member.id,
        role="admin",
        permissions=[],
    )
    expired, _ = await issue_access_token(
        issuer=settings.issuer,
        secret_key=settings.secret_key,
        ttl_seconds=300,
        user_id=member.user_id,
        session_id=claims["sid"],
        organization_id=org.id,
        member_id=member.id,
        role="admin",
        permissions=[],
        now=datetime.now(UTC) - timedelta(seconds=300 + LEEWAY_SECONDS + 5),
    )
    for token in [*forged, wrong_issuer, expired]:
        body = await gql(VIEWER, token=token)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", token
    assert (await gql(VIEWER, token=genuine))["data"]["viewer"]["organizationId"] == org.id
    KEYS.forget()
