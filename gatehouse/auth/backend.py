"""Turns a request's credentials into a Principal (a Starlette-style authentication backend)."""

from __future__ import annotations

from gatehouse.auth.api_keys import KEY_PREFIX, authenticate_api_key
from gatehouse.auth.principal import ANONYMOUS, Principal
from gatehouse.auth.sessions import (
    SESSION_PREFIX,
    authenticate_access_token,
    authenticate_session,
)
from gatehouse.auth.tokens import looks_like_jwt
from gatehouse.settings import Settings


class InvalidCredentials(Exception):
    """A credential was presented and is not valid (unknown, revoked or expired)."""


async def principal_from_authorization(header: str | None, settings: Settings) -> Principal:
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidCredentials
    principal: Principal | None = None
    if token.startswith(f"{KEY_PREFIX}_"):
        principal = await authenticate_api_key(token)
    elif looks_like_jwt(token):
        principal = await authenticate_access_token(
            token, issuer=settings.issuer, ttl_seconds=settings.access_token_ttl_seconds
        )
    elif token.startswith(f"{SESSION_PREFIX}_"):
        principal = await authenticate_session(token)
    if principal is None:
        raise InvalidCredentials
    return principal
