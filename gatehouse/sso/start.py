"""Starting an SP-initiated sign-in: the IdP URL to send the browser to, and the request kept to
check the IdP's answer against (single use, this connection's, unexpired: SECURITY 7, 14).
`/sso/authorize` starts sign-ins for the operator's app, the portal's test sign-in for itself."""

from __future__ import annotations

from datetime import timedelta

from gatehouse.models import Connection, ConnectionType, SsoRequest
from gatehouse.resolvers.sso.sign_in import now
from gatehouse.resolvers.sso.sp_keys import ensure_sp_keys
from gatehouse.settings import Settings
from gatehouse.sso import oidc, saml

REQUEST_TTL = timedelta(minutes=10)


async def start_sign_in(
    conn: Connection,
    settings: Settings,
    *,
    redirect_uri: str,
    client_state: str | None,
    login_hint: str | None = None,
) -> str:
    """The IdP URL; the redirect target is fixed here, never taken from the IdP's answer (13c)."""
    nonce = verifier = None
    if conn.type is ConnectionType.SAML:
        conn = await ensure_sp_keys(conn, settings.secret_key)
        url, lookup = saml.authn_request(conn, settings, login_hint)
    else:
        start = oidc.authorization_url(conn, settings, login_hint)
        url, lookup = start.url, oidc.state_lookup(start.state)
        nonce, verifier = start.nonce, start.code_verifier
    await SsoRequest.create(
        connection=conn,
        lookup=lookup,
        redirect_uri=redirect_uri,
        client_state=client_state,
        nonce=nonce,
        code_verifier=verifier,
        expires_at=now() + REQUEST_TTL,
    )
    return url
