"""OpenID Connect relying party, one per connection (the outbound guard for every call to the
provider, joserfc for the ID token).

Code flow with PKCE S256 (RFC 7636), state and nonce kept server-side and single use, the
RFC 9207 `iss` parameter checked, and every ID token claim check spelled out explicitly
(OIDC core 3.1.3.7) rather than left to a library's defaults (SECURITY 19b).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from gatehouse.auth import crypto
from gatehouse.inbound import holds_nul
from gatehouse.models import Connection
from gatehouse.outbound import OutboundError, request_json
from gatehouse.resolvers.sso.endpoints import callback_url
from gatehouse.resolvers.sso.sign_in import SignInRefused, SsoProfile
from gatehouse.settings import Settings

# Asymmetric only: `none` and HS256-with-the-public-key are refused by construction (SECURITY 18).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
_jwks_cache: dict[str, KeySet] = {}


def state_lookup(state: str) -> str:
    return "oidc:" + hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AuthorizationStart:
    url: str
    state: str
    nonce: str
    code_verifier: str


def authorization_url(
    conn: Connection, settings: Settings, login_hint: str | None
) -> AuthorizationStart:
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": conn.oidc_client_id,
        "redirect_uri": callback_url(settings, conn.id),
        "scope": " ".join(conn.oidc_scopes or ["openid"]),
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if login_hint:
        params["login_hint"] = login_hint
    endpoint = conn.oidc_discovery["authorization_endpoint"]
    sep = "&" if "?" in endpoint else "?"
    return AuthorizationStart(endpoint + sep + urlencode(params), state, nonce, verifier)


def check_iss_parameter(conn: Connection, iss: str | None) -> None:
    """RFC 9207 §2.4: when present (or promised by discovery), `iss` must be our issuer."""
    promised = conn.oidc_discovery.get("authorization_response_iss_parameter_supported")
    if iss is None and not promised:
        return
    if iss != conn.oidc_issuer:
        raise SignInRefused("issuer_mismatch", "The authorization response names another issuer.")


async def _jwks(conn: Connection, settings: Settings, *, refresh: bool) -> KeySet:
    uri = conn.oidc_discovery["jwks_uri"]
    if refresh or uri not in _jwks_cache:
        try:
            status, doc = await request_json(
                "GET", uri, allow_private=settings.sso_allow_private_urls
            )
            keys = KeySet.import_key_set(doc) if status == 200 else None
        except (OutboundError, OSError, ValueError, JoseError) as e:
            raise SignInRefused("jwks_unavailable", f"JWKS fetch failed: {e}") from None
        if keys is None:
            raise SignInRefused("jwks_unavailable", f"JWKS answered {status}.")
        _jwks_cache[uri] = keys
    return _jwks_cache[uri]


async def _decode(conn: Connection, settings: Settings, id_token: str) -> jwt.Token:
    try:
        kid = extract_compact(id_token.encode()).protected.get("kid")
    except (ValueError, JoseError) as e:
        raise SignInRefused("invalid_id_token", f"ID token malformed: {e}") from None
    keys = await _jwks(conn, settings, refresh=False)
    if kid is not None and not any(k.kid == kid for k in keys.keys):
        # An unknown `kid` may be a rotation: refetch the JWKS once (SECURITY 18).
        keys = await _jwks(conn, settings, refresh=True)
    try:
        return jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (ValueError, JoseError) as e:
        raise SignInRefused("invalid_id_token", f"ID token rejected: {e}") from None


def _essential(value: str | None) -> jwt.ClaimsOption:
    """A required claim, equal to `value` when there is one (joserfc skips a None value)."""
    option: jwt.ClaimsOption = {"essential": True}
    if value is not None:
        option["value"] = value
    return option


def _check_claims(
    conn: Connection, claims: dict[str, Any], nonce: str, leeway: int, now: datetime
) -> None:
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=leeway,
        iss=_essential(conn.oidc_issuer),
        sub={"essential": True},
        aud=_essential(conn.oidc_client_id),
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as e:
        raise SignInRefused("invalid_id_token", f"ID token claims rejected: {e}") from None
    aud = claims["aud"]
    audiences = aud if isinstance(aud, list) else [aud]
    # OIDC core 3.1.3.7 items 4-5: with several audiences, azp must be us.
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != conn.oidc_client_id:
        raise SignInRefused("invalid_id_token", "ID token azp is not this client.")


def _groups(claims: dict[str, Any], claim: str) -> list[str]:
    value = claims.get(claim, [])
    # One group may come as a plain string (some IdPs do so for a single value).
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [str(g) for g in values if isinstance(g, str | int)]


def _profile(claims: dict[str, Any], groups_claim: str = "groups") -> SsoProfile:
    if holds_nul(claims):
        # The IdP's JSON, unlike a client's, is not decoded by inbound.py; PostgreSQL would
        # refuse the NUL when the profile is stored, failing the callback.
        raise SignInRefused("invalid_claims", "The IdP's claims hold a NUL character (U+0000).")
    # Entra ID: `sub` is pairwise per app; tenant + object ID is the stable person.
    subject = (
        f"{claims['tid']}:{claims['oid']}" if "tid" in claims and "oid" in claims else claims["sub"]
    )
    email = str(claims.get("email") or "")
    if "@" not in email:
        raise SignInRefused("missing_email", "The IdP returned no email.")
    verified = claims.get("email_verified")
    return SsoProfile(
        subject=str(subject),
        email=email,
        email_verified=verified is True or verified == "true",
        first_name=claims.get("given_name"),
        last_name=claims.get("family_name"),
        groups=_groups(claims, groups_claim),
        raw_attributes={k: v for k, v in claims.items() if k not in ("nonce", "at_hash")},
    )


async def finish(
    conn: Connection,
    settings: Settings,
    code: str,
    nonce: str,
    code_verifier: str,
    now: datetime,
) -> SsoProfile:
    """Redeem the code (with the PKCE verifier), verify the ID token, build the profile."""
    token_endpoint = conn.oidc_discovery["token_endpoint"]
    secret = crypto.decrypt(settings.secret_key, conn.oidc_client_secret_encrypted or "", conn.id)
    try:
        # RFC 6749 4.1.3 with client_secret_basic (2.3.1) and the PKCE verifier (RFC 7636 4.5).
        status, token = await request_json(
            "POST",
            token_endpoint,
            allow_private=settings.sso_allow_private_urls,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": callback_url(settings, conn.id),
                "code_verifier": code_verifier,
            },
            auth=(conn.oidc_client_id, secret),
            headers={"Accept": "application/json"},
        )
    except (OutboundError, OSError) as e:
        raise SignInRefused("token_exchange_failed", f"Code exchange failed: {e}"[:200]) from None
    if status != 200 or not isinstance(token, dict) or "error" in token:
        error = token.get("error") if isinstance(token, dict) else None
        raise SignInRefused(
            "token_exchange_failed", f"Code exchange failed: {status} {error or ''}".strip()[:200]
        )
    id_token = token.get("id_token")
    if not id_token or not isinstance(id_token, str):
        raise SignInRefused("invalid_id_token", "The token response has no ID token.")
    decoded = await _decode(conn, settings, id_token)
    claims = dict(decoded.claims)
    _check_claims(conn, claims, nonce, settings.sso_clock_skew_seconds, now)
    if "email" not in claims and conn.oidc_discovery.get("userinfo_endpoint"):
        access_token = str(token.get("access_token", ""))
        claims.update(await _userinfo(conn, settings, access_token, claims["sub"]))
    return _profile(claims, conn.groups_claim or "groups")


async def _userinfo(
    conn: Connection, settings: Settings, access_token: str, sub: str
) -> dict[str, Any]:
    """OIDC core 5.3: fill missing claims; the userinfo `sub` must be the ID token's."""
    try:
        status, doc = await request_json(
            "GET",
            conn.oidc_discovery["userinfo_endpoint"],
            allow_private=settings.sso_allow_private_urls,
            headers={"Authorization": f"Bearer {access_token}"},
        )
    except (OutboundError, OSError) as e:
        raise SignInRefused("userinfo_failed", f"Userinfo failed: {e}") from None
    if status != 200 or not isinstance(doc, dict) or doc.get("sub") != sub:
        raise SignInRefused("userinfo_failed", "Userinfo answered for another subject.")
    return {
        k: v
        for k, v in doc.items()
        if k in ("email", "email_verified", "given_name", "family_name", "groups")
        or k == conn.groups_claim
    }
