"""Access tokens: short-lived JWTs the operator's product verifies by itself (SECURITY 46).

Signed with ES256 by the newest `SigningKey`; every key not yet retired, and every retired key
whose last token may still be valid, is published at `/.well-known/jwks.json`. Private keys are
stored encrypted with the server key (auth/crypto.py). Verification pins the algorithm to
ES256, takes keys only from that published set (never from a `jku` or `jwk` header), and checks
`iss`, `exp` and `iat` with a small skew.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from gatehouse.auth.crypto import decrypt, encrypt
from gatehouse.models import SigningKey

ALGORITHM = "ES256"
TOKEN_TYPE = "at+jwt"  # noqa: S105 - the JWT `typ` of access tokens (RFC 9068 §2.1)
LEEWAY_SECONDS = 30
# Keys are re-read at most this often when a token names an unknown `kid` (another process
# rotated), so a flood of forged kids cannot turn into a flood of queries.
RELOAD_INTERVAL_SECONDS = 1.0


class InvalidToken(Exception):
    """Not an access token of ours, or not valid now."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    session_id: str
    organization_id: str
    member_id: str
    role: str
    permissions: tuple[str, ...]
    expires_at: datetime


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def _associated(key_id: str) -> str:
    return f"signing-key:{key_id}"


async def create_signing_key(secret_key: str) -> SigningKey:
    """A new key; it signs from now on (the newest key not retired signs)."""
    private = ECKey.generate_key("P-256", private=True)
    key = SigningKey(algorithm=ALGORITHM, public_jwk={}, private_key="")
    key.public_jwk = {
        **{k: str(v) for k, v in private.as_dict(private=False).items()},
        "kid": key.id,
        "alg": ALGORITHM,
        "use": "sig",
    }
    pem = private.as_pem(private=True).decode()
    key.private_key = encrypt(secret_key, pem, _associated(key.id))
    await key.save()
    return key


async def ensure_signing_key(secret_key: str) -> None:
    """Create the first key if there is none (processes starting together may each make one:
    all are published, the newest signs)."""
    if not await SigningKey.filter(retired_at=None).exists():
        await create_signing_key(secret_key)


async def rotate_signing_keys(secret_key: str, now: datetime | None = None) -> SigningKey:
    """Add a key that signs from now on; the others are retired but stay published until
    every token they signed has expired."""
    moment = now or datetime.now(UTC)
    await SigningKey.filter(retired_at=None).update(retired_at=moment)
    key = await create_signing_key(secret_key)
    KEYS.forget()
    return key


class KeyRing:
    """This process's copy of the keys: public ones to verify, the current private one to sign."""

    def __init__(self) -> None:
        self._public: dict[str, dict[str, Any]] = {}
        self._imported: dict[str, tuple[dict[str, Any], KeySet]] = {}
        self._loaded_at = float("-inf")
        self._private: dict[str, ECKey] = {}

    def forget(self) -> None:
        self._loaded_at = float("-inf")

    async def published(self, ttl_seconds: int, now: datetime | None = None) -> list[SigningKey]:
        """Keys whose tokens can still be valid: not retired, or retired within a lifetime."""
        cutoff = (now or datetime.now(UTC)) - timedelta(seconds=ttl_seconds + LEEWAY_SECONDS)
        keys = await SigningKey.all().order_by("id")
        return [k for k in keys if k.retired_at is None or k.retired_at > cutoff]

    async def _reload(self, ttl_seconds: int) -> None:
        self._public = {k.id: k.public_jwk for k in await self.published(ttl_seconds)}
        self._loaded_at = time.monotonic()

    async def verification_keys(self, kid: str, ttl_seconds: int) -> KeySet:
        if kid not in self._public and time.monotonic() - self._loaded_at > RELOAD_INTERVAL_SECONDS:
            await self._reload(ttl_seconds)
        jwk = self._public.get(kid)
        if jwk is None:
            raise InvalidToken
        # Importing a key costs about as much as checking a signature with it: once per key.
        cached = self._imported.get(kid)
        if cached is None or cached[0] is not jwk:
            cached = (jwk, KeySet([ECKey.import_key(jwk)]))
            self._imported[kid] = cached
        return cached[1]

    async def signing_key(self, secret_key: str) -> tuple[str, ECKey]:
        # Read on every issuance (sign-ins and refreshes, not every request), so a rotation by
        # another process takes effect at once.
        current = await SigningKey.filter(retired_at=None).order_by("-id").first()
        if current is None:
            current = await create_signing_key(secret_key)
        key = self._private.get(current.id)
        if key is None:
            pem = decrypt(secret_key, current.private_key, _associated(current.id))
            key = ECKey.import_key(pem.encode())
            self._private = {current.id: key}
            # What this process signs, it can verify without a reload.
            self._public[current.id] = current.public_jwk
        return current.id, key


KEYS = KeyRing()


async def issue_access_token(
    *,
    issuer: str,
    secret_key: str,
    ttl_seconds: int,
    user_id: str,
    session_id: str,
    organization_id: str,
    member_id: str,
    role: str,
    permissions: list[str],
    now: datetime | None = None,
) -> tuple[str, datetime]:
    moment = now or datetime.now(UTC)
    expires_at = moment + timedelta(seconds=ttl_seconds)
    kid, key = await KEYS.signing_key(secret_key)
    claims = {
        "iss": issuer,
        "sub": user_id,
        "sid": session_id,
        "org_id": organization_id,
        "member_id": member_id,
        "role": role,
        "permissions": sorted(permissions),
        "iat": int(moment.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    header = {"alg": ALGORITHM, "kid": kid, "typ": TOKEN_TYPE}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM]), expires_at


async def verify_access_token(
    token: str, *, issuer: str, ttl_seconds: int, now: datetime | None = None
) -> AccessClaims:
    header = _unverified_header(token)
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str):
        raise InvalidToken
    keys = await KEYS.verification_keys(kid, ttl_seconds)
    moment = now or datetime.now(UTC)
    try:
        decoded = jwt.decode(token, keys, algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(
            now=int(moment.timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError):
        raise InvalidToken from None
    return _claims(decoded.claims)


def _unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read only to pick the key; the signature check comes after."""
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken from None
    if not isinstance(header, dict):
        raise InvalidToken
    return header


def _claims(claims: dict[str, Any]) -> AccessClaims:
    try:
        permissions = claims["permissions"]
        if not isinstance(permissions, list):
            raise InvalidToken
        return AccessClaims(
            user_id=str(claims["sub"]),
            session_id=str(claims["sid"]),
            organization_id=str(claims["org_id"]),
            member_id=str(claims["member_id"]),
            role=str(claims["role"]),
            permissions=tuple(str(p) for p in permissions),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidToken from None


def jwks(keys: list[SigningKey]) -> dict[str, Any]:
    return {"keys": [k.public_jwk for k in keys]}
