"""Admin Portal sessions: a cookie-borne credential, scoped to one organization and the
setup link's intents, usable only with its CSRF token and from the portal's own origin.

The CSRF token is an HMAC of the cookie token under a key derived from GATEHOUSE_SECRET_KEY
(a "signed double-submit" token, OWASP CSRF cheat sheet): the page that the cookie loads can
embed it, a cross-site page cannot compute it, the database never holds it, and even someone
who learns a cookie cannot forge its token without the server's key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from gatehouse.auth.crypto import derive_key
from gatehouse.auth.permissions import ORGANIZATION_PERMISSIONS
from gatehouse.auth.principal import Principal, PrincipalKind
from gatehouse.auth.secrets import hash_secret
from gatehouse.models import PortalIntent, PortalSession

COOKIE_NAME = "gatehouse_portal"
CSRF_HEADER = "x-gatehouse-csrf"
LINK_PREFIX = "pl"
SESSION_PREFIX = "ps"

# Reading the organization's name is needed by every page; the rest follows the intents.
BASE_PERMISSIONS: frozenset[str] = frozenset({"organizations:read"})
INTENT_PERMISSIONS: dict[PortalIntent, frozenset[str]] = {
    PortalIntent.DOMAIN_VERIFICATION: frozenset({"domains:read", "domains:write"}),
    # Roles are read to offer them in the group → role mapping editors (SSO and directory).
    PortalIntent.SSO: frozenset({"connections:read", "connections:write", "roles:read"}),
    PortalIntent.DSYNC: frozenset({"directories:read", "directories:write", "roles:read"}),
    PortalIntent.LOG_STREAMS: frozenset({"log_streams:read", "log_streams:write", "events:read"}),
    PortalIntent.CERTIFICATE_RENEWAL: frozenset({"connections:read", "connections:write"}),
    PortalIntent.AUDIT_LOGS: frozenset({"audit_logs:read"}),
}


def intent_permissions(intents: Iterable[str]) -> frozenset[str]:
    """The permissions a portal session holds: only those an organization may hold at all."""
    wanted = set(BASE_PERMISSIONS)
    for intent in intents:
        wanted |= INTENT_PERMISSIONS.get(PortalIntent(intent), frozenset())
    return frozenset(wanted) & ORGANIZATION_PERMISSIONS


def csrf_token_for(secret_key: str, cookie_token: str) -> str:
    return hmac.new(
        derive_key(secret_key, b"portal-csrf"), cookie_token.encode(), hashlib.sha256
    ).hexdigest()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(origin: str | None, base_url: str) -> bool:
    return origin is not None and origin.lower() == origin_of(base_url)


def request_allowed(
    secret_key: str,
    cookie_token: str,
    csrf_header: str | None,
    origin: str | None,
    base_url: str,
) -> bool:
    """SECURITY 28: a cookie alone never authenticates; the CSRF header and Origin must match."""
    if not csrf_header or not origin_allowed(origin, base_url):
        return False
    return hmac.compare_digest(csrf_header, csrf_token_for(secret_key, cookie_token))


def form_post_allowed(origin: str | None, referer: str | None, base_url: str) -> bool:
    """Login CSRF: only our own pages may post a setup link. Browsers send Origin on a form
    POST; Referer stands in only when Origin is missing altogether (an "Origin: null" from a
    sandboxed or privacy-stripped context is refused, not ignored)."""
    if origin is not None:
        return origin_allowed(origin, base_url)
    return referer is not None and origin_allowed(origin_of(referer), base_url)


async def load_portal_session(cookie_token: str) -> PortalSession | None:
    session = await PortalSession.get_or_none(token_hash=hash_secret(cookie_token))
    if session is None or session.revoked_at is not None:
        return None
    if session.expires_at <= datetime.now(UTC):
        return None
    return session


def portal_principal(session: PortalSession) -> Principal:
    return Principal(
        kind=PrincipalKind.PORTAL,
        organization_id=session.organization_id,
        permissions=intent_permissions(session.intents),
        session_id=session.id,
    )


async def authenticate_portal_cookie(cookie_token: str) -> Principal | None:
    session = await load_portal_session(cookie_token)
    return portal_principal(session) if session is not None else None
