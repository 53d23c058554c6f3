"""Gatehouse as the issuer of access tokens: an OpenID-style discovery document and the JWKS
that the operator's product verifies tokens with, without calling Gatehouse per request."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatehouse.auth.tokens import ALGORITHM, KEYS, jwks
from gatehouse.settings import Settings

# Products cache the key set; a token with an unknown `kid` makes them fetch it again, so a
# rotation is picked up at once while steady traffic asks rarely.
JWKS_MAX_AGE_SECONDS = 300


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def openid_configuration(request: Request) -> Response:
    settings = _settings(request)
    issuer = settings.issuer
    return JSONResponse(
        {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "authorization_endpoint": f"{issuer}/sso/authorize",
            "token_endpoint": f"{issuer}/sso/token",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "claims_supported": [
                "iss",
                "sub",
                "sid",
                "org_id",
                "member_id",
                "role",
                "permissions",
                "iat",
                "exp",
                "jti",
            ],
        },
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"},
    )


async def jwks_document(request: Request) -> Response:
    keys = await KEYS.published(_settings(request).access_token_ttl_seconds)
    return JSONResponse(
        jwks(keys),
        media_type="application/jwk-set+json",
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"},
    )


routes = [
    Route("/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/.well-known/jwks.json", jwks_document, methods=["GET"]),
]
