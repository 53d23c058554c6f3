"""SSO HTTP routes: authorize, SAML ACS and metadata, OIDC callback, code → token.

Every refusal records `authentication.sso_failed` with a reason and answers a JSON 4xx; the
browser is only ever redirected to an allow-listed `redirect_uri` (exact match, SECURITY 20).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gatehouse.auth.backend import InvalidCredentials, principal_from_authorization
from gatehouse.auth.principal import Principal
from gatehouse.events.acting import Actor, ActorKind, set_actor
from gatehouse.inbound import BodyError, decode_form
from gatehouse.models import (
    Connection,
    ConnectionState,
    ConnectionType,
    Organization,
    SamlAssertionId,
    SsoRequest,
    reads,
)
from gatehouse.models.base import column_length
from gatehouse.models.ids import has_prefix
from gatehouse.ops import metrics
from gatehouse.resolvers.domains.lifecycle import verified_domain_for_email
from gatehouse.resolvers.errors import DomainError
from gatehouse.resolvers.recording.attempts import Observed
from gatehouse.resolvers.sign_in.handoff import CodeRefused, exchange_handoff_code
from gatehouse.resolvers.sign_in.selection import OrganizationSelectionRequired
from gatehouse.resolvers.sso import sign_in as sso
from gatehouse.resolvers.sso.sign_in import SignInRefused, record_failure
from gatehouse.resolvers.sso.sp_keys import ensure_sp_keys
from gatehouse.settings import Settings
from gatehouse.sso import oidc, saml
from gatehouse.sso import recorder as attempts
from gatehouse.sso.saml_xml import UnsafeXml
from gatehouse.sso.start import start_sign_in

log = logging.getLogger("gatehouse.sso")
Endpoint = Callable[[Request], Awaitable[Response]]
SIGNABLE = (ConnectionState.ACTIVE, ConnectionState.VALIDATING)
MAX_LOOKUP = column_length(SsoRequest, "lookup")


async def form_fields(request: Request) -> dict[str, str]:
    """application/x-www-form-urlencoded only (SAML bindings 3.5.4, RFC 6749 §4.1.3); the
    body limit middleware has already bounded its size. Raises BodyError when the body cannot
    be decoded (not UTF-8, more fields than any binding sends)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        return {}
    return {k: v[0] for k, v in decode_form(await request.body()).items()}


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def error(reason: str, message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": reason, "message": message}, status_code=status)


def allowed_redirect(settings: Settings, uri: str | None) -> bool:
    """Exact string match only: no prefix, no normalization an attacker could steer."""
    return bool(uri) and uri in settings.redirect_uris


def _redirect_with_code(redirect_uri: str, code: str, client_state: str | None) -> Response:
    params = {"code": code}
    if client_state:
        params["state"] = client_state
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=302)


async def _pick_connection(request: Request) -> Connection | None:
    q = request.query_params
    if q.get("connection"):
        return await Connection.get_or_none(id=q["connection"])
    organization_id = q.get("organization")
    if not organization_id:
        hint = q.get("domain") or (q.get("login_hint") or "").rpartition("@")[2]
        domain = await verified_domain_for_email(f"x@{hint}") if hint else None
        organization_id = domain.organization_id if domain else None
    if not organization_id or not await Organization.exists(id=organization_id):
        return None
    candidates = await Connection.filter(
        organization_id=organization_id, state__in=SIGNABLE
    ).order_by("id")
    # An ACTIVE connection wins over one still being validated; then the oldest.
    return min(candidates, key=lambda c: c.state is not ConnectionState.ACTIVE, default=None)


async def authorize(request: Request) -> Response:
    settings = _settings(request)
    q = request.query_params
    redirect_uri = q.get("redirect_uri")
    if not allowed_redirect(settings, redirect_uri):
        return error(
            "invalid_redirect_uri",
            "redirect_uri is not on the allow-list: add it to GATEHOUSE_REDIRECT_URIS.",
        )
    assert redirect_uri is not None
    conn = await _pick_connection(request)
    if conn is None:
        return error("unknown_connection", "No SSO connection matches.", 404)
    if conn.state not in SIGNABLE:
        await record_failure(conn, "connection_inactive")
        return error("connection_inactive", "This connection is not active.", 403)
    if not (await Organization.get(id=conn.organization_id)).sso_allowed:
        await record_failure(conn, "auth_method_not_allowed")
        return error(
            "auth_method_not_allowed", "This organization does not allow SSO sign-in.", 403
        )
    url = await start_sign_in(
        conn,
        settings,
        redirect_uri=redirect_uri,
        client_state=(q.get("state") or None) and q["state"][:1024],
        login_hint=q.get("login_hint"),
    )
    return RedirectResponse(url, status_code=302)


async def _consume_request(conn: Connection, lookup: str) -> SsoRequest:
    """Single use, this connection's, unexpired (SECURITY 7, 14)."""
    if len(lookup) > MAX_LOOKUP:  # no stored request has one this long (Tortoise refuses it)
        raise SignInRefused("unknown_request", "This sign-in was not started here.")
    async with in_transaction():
        row = await SsoRequest.filter(lookup=lookup).select_for_update().first()
        if row is None or row.connection_id != conn.id:
            raise SignInRefused("unknown_request", "This sign-in was not started here.")
        if row.consumed_at is not None:
            raise SignInRefused("request_reused", "This sign-in was already used.")
        if row.expires_at <= sso.now():
            raise SignInRefused("request_expired", "This sign-in has expired.")
        row.consumed_at = sso.now()
        await row.save(update_fields=["consumed_at"])
    return row


async def _finish(
    conn: Connection, profile: sso.SsoProfile, redirect_uri: str, state: str | None
) -> Response:
    _, code = await sso.complete_sign_in(conn.id, profile)
    return _redirect_with_code(redirect_uri, code, state)


async def _refused(conn: Connection | None, e: SignInRefused) -> Response:
    await record_failure(conn, e.reason, e.message)
    return error(e.reason, e.message, e.status)


class _Seen:
    """The connection a failing request was for, so the failure event names it; what the
    response said and the profile it gave, for the sign-in recorder (sso/recorder.py)."""

    connection: Connection | None = None
    observed: Observed | None = None
    profile: sso.SsoProfile | None = None


SignInStep = Callable[[Request, _Seen], Awaitable[Response]]


def refusing(protocol: str) -> Callable[[SignInStep], Endpoint]:
    """Turn every refusal of a sign-in callback into the sso_failed event and a JSON 4xx;
    count each finished attempt, whichever way it ended, under `protocol`."""

    def wrap(handler: SignInStep) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            seen = _Seen()
            outcome = "failed"
            # The IdP acts, through the connection the URL names (its events, success or not);
            # a path that is no ID (a NUL byte, say) names nobody and stays the system's.
            connection_id = str(request.path_params["connection_id"])
            if has_prefix(connection_id, "conn"):
                set_actor(Actor(ActorKind.SSO_CONNECTION, connection_id))
            refusal: SignInRefused | None = None
            try:
                response = await handler(request, seen)
                outcome = "succeeded"  # handlers return only with a code; refusals raise
            except UnsafeXml as e:
                refusal = SignInRefused(e.reason, "The SAML response was refused.")
                response = await _refused(seen.connection, refusal)
            except SignInRefused as e:
                refusal = e
                response = await _refused(seen.connection, e)
            metrics.SSO_OUTCOMES.labels(protocol, outcome).inc()
            if seen.connection is not None:
                await attempts.record(
                    _settings(request), seen.connection, seen.observed, seen.profile, refusal
                )
            return response

        return endpoint

    return wrap


async def _signable(request: Request, seen: _Seen, type_: ConnectionType) -> Connection:
    # The connection comes from the URL path, never from the response's Issuer (13a). It is
    # noted before it is checked: a refusal for an inactive connection still names it and its
    # organization, so that organization's webhooks and portal see it.
    connection_id = request.path_params["connection_id"]
    if not has_prefix(connection_id, "conn"):
        # Not an ID at all (PostgreSQL refuses NUL bytes in a query): nothing to look up.
        raise SignInRefused("unknown_connection", "Unknown connection.", 404)
    seen.connection = await Connection.get_or_none(id=connection_id)
    conn = sso.check_usable(seen.connection)
    if conn.type is not type_:
        raise SignInRefused("wrong_connection_type", f"Not a {type_.value} connection.", 404)
    return conn


@refusing("saml")
async def saml_acs(request: Request, seen: _Seen) -> Response:
    settings = _settings(request)
    conn = await _signable(request, seen, ConnectionType.SAML)
    try:
        raw = (await form_fields(request)).get("SAMLResponse")
    except BodyError as e:
        raise SignInRefused("malformed_response", str(e)) from None
    if not raw:
        raise SignInRefused("missing_response", "SAMLResponse is required.")
    conn = seen.connection = await ensure_sp_keys(conn, settings.secret_key)
    seen.observed = attempts.saml_response(raw, settings)
    in_response_to = saml.unverified_in_response_to(raw, settings)
    if in_response_to is None:
        # 13b: no InResponseTo is an IdP-initiated sign-in, allowed only where enabled.
        if not conn.saml_allow_idp_initiated:
            raise SignInRefused("idp_initiated_not_allowed", "IdP-initiated sign-in is off.")
        if not settings.redirect_uris:
            raise SignInRefused("no_redirect_uri", "No redirect URI is configured.")
        redirect_uri, client_state = settings.redirect_uris[0], None
    else:
        pending = await _consume_request(conn, in_response_to)
        redirect_uri, client_state = pending.redirect_uri, pending.client_state
    assertion = saml.validate(conn, raw, settings, in_response_to, sso.now())
    try:
        await SamlAssertionId.create(
            connection_id=conn.id,
            assertion_id=assertion.assertion_id,
            expires_at=assertion.expires_at,
        )
    except IntegrityError:
        raise SignInRefused("replayed_assertion", "This assertion was already used.") from None
    seen.profile = assertion.profile
    return await _finish(conn, assertion.profile, redirect_uri, client_state)


async def saml_metadata(request: Request) -> Response:
    conn = await reads.first(Connection, id=str(request.path_params["connection_id"]))
    if conn is None or conn.type is not ConnectionType.SAML:
        return error("unknown_connection", "Unknown connection.", 404)
    conn = await ensure_sp_keys(conn, _settings(request).secret_key)
    return Response(saml.metadata_xml(conn, _settings(request)), media_type="application/xml")


@refusing("oidc")
async def oidc_callback(request: Request, seen: _Seen) -> Response:
    settings = _settings(request)
    q = request.query_params
    conn = await _signable(request, seen, ConnectionType.OIDC)
    seen.observed = Observed(issuer=conn.oidc_issuer)
    state = q.get("state")
    if not state:
        raise SignInRefused("missing_state", "state is required.")
    pending = await _consume_request(conn, oidc.state_lookup(state))
    oidc.check_iss_parameter(conn, q.get("iss"))
    if q.get("error"):
        raise SignInRefused("idp_error", f"The IdP answered {q['error'][:100]}.")
    code = q.get("code")
    if not code:
        raise SignInRefused("missing_code", "code is required.")
    profile = await oidc.finish(
        conn, settings, code, pending.nonce or "", pending.code_verifier or "", sso.now()
    )
    seen.profile = profile
    return await _finish(conn, profile, pending.redirect_uri, pending.client_state)


async def token(request: Request) -> Response:
    """The operator's backend trades a one-time code (from an SSO sign-in, the invitation page
    or the sign-in code page) for the authentication: user, organization, member and tokens."""
    try:
        principal = await principal_from_authorization(
            request.headers.get("authorization"), _settings(request)
        )
    except InvalidCredentials:
        principal = None
    if principal is None or principal.api_key_id is None:
        return error("unauthorized", "An API key is required.", 401)
    set_actor(principal.audit_actor())
    try:
        code = (await form_fields(request)).get("code")
    except BodyError as e:
        return error("invalid_request", str(e))
    if not isinstance(code, str) or not code:
        return error("invalid_request", "code is required.")
    return await _exchange(principal, code, _settings(request))


async def _exchange(principal: Principal, code: str, settings: Settings) -> Response:
    try:
        authentication, profile = await exchange_handoff_code(principal, code, settings)
    except CodeRefused:
        log.info("sso code refused (%s)", hashlib.sha256(code.encode()).hexdigest()[:12])
        return error("invalid_grant", "The code is invalid, used or expired.")
    except OrganizationSelectionRequired as e:
        return JSONResponse(
            {
                "error": "organization_selection_required",
                "message": e.errors[0].message,
                "pending_authentication_token": e.pending_authentication_token,
                "organizations": [{"id": o.id, "name": o.name} for o in e.organizations],
            },
            status_code=400,
            headers={"Cache-Control": "no-store"},
        )
    except DomainError as e:
        first = e.errors[0]
        response = error(first.code.value.lower(), first.message)
        if first.authorize_url:
            # AUTH_METHOD_NOT_ALLOWED: where the person can sign in instead.
            response = JSONResponse(
                {
                    "error": first.code.value.lower(),
                    "message": first.message,
                    "authorize_url": first.authorize_url,
                },
                status_code=400,
            )
        return response
    body = authentication.as_json()
    if profile:
        body["profile"] = profile
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


routes = [
    Route("/sso/authorize", authorize, methods=["GET"]),
    Route("/sso/saml/{connection_id}/acs", saml_acs, methods=["POST"]),
    Route("/sso/saml/{connection_id}/metadata", saml_metadata, methods=["GET"]),
    Route("/sso/oidc/{connection_id}/callback", oidc_callback, methods=["GET"]),
    Route("/sso/token", token, methods=["POST"]),
]
