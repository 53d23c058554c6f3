"""The SSO page's "test sign-in": out to the IdP, back through the ACS, then shown here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gatehouse.auth.portal import COOKIE_NAME
from gatehouse.models import PortalIntent
from gatehouse.portal.routes import _page_context, _render, _settings, _to_expired
from gatehouse.resolvers.portal import sign_in_check as portal_sso
from gatehouse.sso.start import start_sign_in


async def test_sign_in(request: Request) -> Response:
    found = await _page_context(request)
    if found is None:
        return _to_expired("session")
    session, _ = found
    if PortalIntent.SSO.value not in session.intents:
        return RedirectResponse("/portal", status_code=303)
    conn = await portal_sso.testable_connection(
        session.organization_id, request.query_params.get("connection", "")
    )
    if conn is None:
        return RedirectResponse("/portal/sso", status_code=303)
    settings = _settings(request)
    # The redirect target is the portal's own fixed URL, never one from the request (13c, 20).
    url = await start_sign_in(
        conn,
        settings,
        redirect_uri=portal_sso.result_url(settings),
        client_state=portal_sso.test_state(request.cookies[COOKIE_NAME]),
    )
    return RedirectResponse(url, status_code=303)


async def tested(request: Request) -> Response:
    found = await _page_context(request)
    if found is None:
        return _to_expired("session")
    session, context = found
    result = await portal_sso.finish_test_sign_in(
        session.organization_id,
        request.query_params.get("code", ""),
        request.query_params.get("state", ""),
        request.cookies[COOKIE_NAME],
    )
    if result is None:
        return _render(request, "sso_tested.html", status_code=400, failed=True, **context)
    connection, profile = result
    return _render(
        request, "sso_tested.html", connection=connection, profile=profile, failed=False, **context
    )


routes: list[BaseRoute] = [
    Route("/portal/sso/test", test_sign_in, methods=["GET"]),
    Route("/portal/sso/tested", tested, methods=["GET"]),
]
