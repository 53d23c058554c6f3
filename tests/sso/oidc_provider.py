"""A real OpenID provider on 127.0.0.1 (Starlette + uvicorn on port 0, joserfc-signed tokens).

It serves discovery, JWKS, an authorization endpoint that signs in `provider.user` at once,
a token endpoint that checks client authentication, single-use codes and PKCE S256, and
userinfo. Attack tests bend what it signs through `provider.id_token_overrides` and friends.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Provider:
    issuer: str = ""
    client_id: str = "gatehouse-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    keys: list[RSAKey] = field(
        default_factory=lambda: [RSAKey.generate_key(2048, parameters={"kid": "k1"})]
    )
    user: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    sign_with: Any = None  # another key; "none" for an unsigned token
    sign_alg: str = "RS256"
    iss_param: str | None = None  # RFC 9207 value to send; default the issuer
    redeemed: list[str] = field(default_factory=list)
    saml_metadata: str = ""  # the same server doubles as a SAML IdP's metadata host
    saml_metadata_fetches: int = 0
    token_response_overrides: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        self.user = {
            "sub": "okta-00u1",
            "email": "olivia@acme.com",
            "email_verified": True,
            "given_name": "Olivia",
            "family_name": "O",
        }
        self.codes.clear()
        self.id_token_overrides = {}
        self.token_response_overrides = {}
        self.sign_with = None
        self.sign_alg = "RS256"
        self.iss_param = None
        self.keys = self.keys[:1]

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.user,
            **self.id_token_overrides,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        if self.sign_with == "none":
            header = {"alg": "none", "kid": "k1"}
            return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
        if self.sign_with == "hs256-public":
            # The key-confusion attack: HMAC keyed with the provider's own public key.
            header = {"alg": "HS256", "kid": "k1"}
            signing_input = (
                f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
            )
            secret = self.keys[-1].as_pem(private=False)
            mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
            return f"{signing_input}.{_b64(mac)}"
        key = self.sign_with or self.keys[-1]
        header = {"alg": self.sign_alg, "kid": key.kid or "k1"}
        return jwt.encode(header, claims, key)

    def app(self) -> Starlette:
        async def discovery(_: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "userinfo_endpoint": f"{self.issuer}/userinfo",
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "authorization_response_iss_parameter_supported": True,
                }
            )

        async def jwks(_: Request) -> Response:
            return JSONResponse(KeySet(self.keys).as_dict(private=False))

        async def authorize(request: Request) -> Response:
            q = request.query_params
            assert q["client_id"] == self.client_id
            assert q["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "redirect_uri": q["redirect_uri"],
                "challenge": q["code_challenge"],
                "nonce": q.get("nonce"),
            }
            params = {"code": code, "state": q["state"], "iss": self.iss_param or self.issuer}
            return RedirectResponse(f"{q['redirect_uri']}?{urlencode(params)}", status_code=302)

        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            auth = request.headers.get("authorization", "")
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if auth != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = self.codes.pop(str(form.get("code")), None)
            if grant is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            verifier = str(form.get("code_verifier", ""))
            challenge = _b64(hashlib.sha256(verifier.encode()).digest())
            if challenge != grant["challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            self.redeemed.append(str(form.get("code")))
            return JSONResponse(
                {
                    "access_token": "at_" + secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self.id_token(grant["nonce"]),
                    **self.token_response_overrides,
                }
            )

        async def userinfo(_: Request) -> Response:
            return JSONResponse(self.user)

        async def saml_metadata(_: Request) -> Response:
            self.saml_metadata_fetches += 1
            return Response(self.saml_metadata, media_type="application/xml")

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
                Route("/userinfo", userinfo),
                Route("/saml/metadata", saml_metadata),
            ]
        )


async def start(provider: Provider) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    config = uvicorn.Config(
        provider.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("OIDC provider did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    provider.issuer = f"http://127.0.0.1:{port}"
    return server, task


def other_key(kid: str = "k1") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid})


def hmac_key() -> OctKey:
    return OctKey.import_key(secrets.token_bytes(32), {"kid": "k1"})


def main() -> None:
    """`python -m tests.sso.oidc_provider --port 9000 --client-secret …`: the test provider on
    its own, for the README's "Connect your first IdP" (it signs olivia@acme.com in at once)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--client-secret", default="first-idp-secret")
    args = parser.parse_args()
    provider = Provider(client_secret=args.client_secret)
    provider.reset()
    provider.issuer = f"http://127.0.0.1:{args.port}"
    print(f"issuer:        {provider.issuer}", flush=True)
    print(f"client id:     {provider.client_id}", flush=True)
    print(f"signs in:      {provider.user['email']}", flush=True)
    uvicorn.run(provider.app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
