"""The Admin Portal's "test sign-in": a real SP-initiated sign-in through the organization's
connection, whose result comes back to the portal instead of the operator's app."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth import oidc, saml
from gatehouse.auth.secrets import hash_secret
from gatehouse.models import (
    Connection,
    ConnectionState,
    ConnectionType,
    Event,
    SsoCode,
    SsoRequest,
)
from gatehouse.resolvers.sso import now
from gatehouse.settings import Settings

REQUEST_TTL = timedelta(minutes=10)
TESTABLE = (ConnectionState.VALIDATING, ConnectionState.ACTIVE)


def test_state(cookie_token: str) -> str:
    """Binds the round trip to this portal session: another browser's result is refused."""
    return hmac.new(cookie_token.encode(), b"gatehouse-portal-sso-test", hashlib.sha256).hexdigest()


def result_url(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/portal/sso/tested"


async def start_test_sign_in(
    organization_id: str, connection_id: str, cookie_token: str, settings: Settings
) -> str | None:
    """The IdP URL to send the browser to, or None when the connection cannot be tested."""
    conn = await Connection.get_or_none(id=connection_id, organization_id=organization_id)
    if conn is None or conn.state not in TESTABLE:
        return None
    if conn.type is ConnectionType.SAML:
        url, lookup = saml.authn_request(conn, settings, None)
        nonce = verifier = None
    else:
        start = oidc.authorization_url(conn, settings, None)
        url, lookup = start.url, oidc.state_lookup(start.state)
        nonce, verifier = start.nonce, start.code_verifier
    # The redirect target is the portal's own fixed URL, never one from the request (13c, 20).
    await SsoRequest.create(
        connection=conn,
        lookup=lookup,
        redirect_uri=result_url(settings),
        client_state=test_state(cookie_token),
        nonce=nonce,
        code_verifier=verifier,
        expires_at=now() + REQUEST_TTL,
    )
    return url


async def finish_test_sign_in(
    organization_id: str, code: str, state: str, cookie_token: str
) -> tuple[Connection, dict[str, Any]] | None:
    """Use up the sign-in's one-time code (no session is issued) and return the profile."""
    if not hmac.compare_digest(state, test_state(cookie_token)):
        return None
    async with in_transaction():
        row = await SsoCode.filter(code_hash=hash_secret(code)).select_for_update().first()
        if row is None or row.used_at is not None or row.expires_at <= now():
            return None
        conn = await Connection.get(id=row.connection_id)
        if conn.organization_id != organization_id:
            return None
        row.used_at = now()
        await row.save(update_fields=["used_at"])
    return conn, row.profile


async def last_failure(organization_id: str, since: datetime) -> dict[str, Any] | None:
    """The organization's last sign-in since `since` (the session's start), if it was
    refused: the ACS answers the browser in JSON, so the SSO page says what went wrong."""
    event = (
        await Event.filter(
            organization_id=organization_id,
            type__in=["authentication.sso_failed", "authentication.sso_succeeded"],
            occurred_at__gte=since,
        )
        .order_by("-id")
        .first()
    )
    if event is None or event.type != "authentication.sso_failed":
        return None  # nothing tried yet, or a later sign-in worked
    return {**event.data, "occurred_at": event.occurred_at}
