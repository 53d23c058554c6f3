"""The Admin Portal's "test sign-in": a real SP-initiated sign-in through the organization's
connection (started by sso/start.py), whose result comes back to the portal instead of the
operator's app."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.secrets import hash_secret
from gatehouse.models import Connection, ConnectionState, Event, SsoCode
from gatehouse.resolvers.sso.sign_in import now
from gatehouse.settings import Settings

TESTABLE = (ConnectionState.VALIDATING, ConnectionState.ACTIVE)


def test_state(cookie_token: str) -> str:
    """Binds the round trip to this portal session: another browser's result is refused."""
    return hmac.new(cookie_token.encode(), b"gatehouse-portal-sso-test", hashlib.sha256).hexdigest()


def result_url(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/portal/sso/tested"


async def testable_connection(organization_id: str, connection_id: str) -> Connection | None:
    """The organization's connection, when it can be tested (validating or active)."""
    conn = await Connection.get_or_none(id=connection_id, organization_id=organization_id)
    return conn if conn is not None and conn.state in TESTABLE else None


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
