"""Admin Portal pages: server-rendered shells; the ES module does the rest over /graphql."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from gatehouse.auth.portal import (
    COOKIE_NAME,
    csrf_token_for,
    form_post_allowed,
    load_portal_session,
)
from gatehouse.events.acting import Actor, ActorKind, set_actor
from gatehouse.inbound import BodyError, decode_form
from gatehouse.models import Organization, PortalIntent, PortalSession
from gatehouse.portal.branding import brand_from
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.portal import links as portal
from gatehouse.settings import Settings

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# The pages each intent opens; intents without a page yet show as "not in this portal".
INTENT_PAGES: dict[PortalIntent, tuple[str, str]] = {
    PortalIntent.DOMAIN_VERIFICATION: ("/portal/domains", "Verify your domains"),
    PortalIntent.SSO: ("/portal/sso", "Set up single sign-on"),
    PortalIntent.DSYNC: ("/portal/directory", "Connect your directory"),
    PortalIntent.LOG_STREAMS: ("/portal/log-streams", "Stream audit logs"),
    PortalIntent.CERTIFICATE_RENEWAL: ("/portal/certificates", "Renew your SSO certificate"),
    PortalIntent.AUDIT_LOGS: ("/portal/audit-logs", "Review the audit trail"),
}
INTENT_TITLES: dict[PortalIntent, str] = {
    PortalIntent.DOMAIN_VERIFICATION: "Verify your domains",
    PortalIntent.SSO: "Set up single sign-on",
    PortalIntent.DSYNC: "Connect your directory",
    PortalIntent.LOG_STREAMS: "Stream audit logs",
    PortalIntent.CERTIFICATE_RENEWAL: "Renew your SSO certificate",
    PortalIntent.AUDIT_LOGS: "Review the audit trail",
}

EXPIRED_REASONS = {
    "used": "This setup link was already used.",
    "expired": "This setup link has expired.",
    "invalid": "This setup link is not valid.",
    "session": "Your setup session has ended.",
}

# Pages never leak the link token through Referer, never load third-party code, never frame.
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: http: data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(
        request,
        name,
        {"brand": brand_from(_settings(request)), **context},
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )


def _to_expired(reason: str) -> Response:
    response = RedirectResponse(f"/portal/expired?reason={reason}", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


def _link_failure(error: DomainError) -> Response:
    reason = {
        ErrorCode.PORTAL_LINK_USED: "used",
        ErrorCode.PORTAL_LINK_EXPIRED: "expired",
    }.get(error.errors[0].code, "invalid")
    return _to_expired(reason)


async def show_start(request: Request) -> Response:
    """GET only shows what the link opens: mail scanners and link previews fetch links, and
    must not use up a single-use link before the admin clicks it."""
    token = request.query_params.get("token", "")
    try:
        link = await portal.peek_portal_link(token)
    except DomainError as e:
        return _link_failure(e)
    org = await Organization.get(id=link.organization_id)
    response = _render(
        request,
        "start.html",
        link_organization=org,
        link_intents=[PortalIntent(i) for i in link.intents],
        intent_titles=INTENT_TITLES,
        token=token,
        session_minutes=_settings(request).portal_session_ttl_seconds // 60,
    )
    # Under no-referrer a browser posts the form with "Origin: null", which the POST must
    # refuse; same-origin still keeps the token's URL from every other site.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


async def _form_token(request: Request) -> str:
    # Parsed here (urlencoded only) rather than adding python-multipart for one field.
    return decode_form(await request.body()).get("token", [""])[-1]


async def start(request: Request) -> Response:
    settings = _settings(request)
    # Login CSRF: another site posting its own link would sign this browser into that portal.
    if not form_post_allowed(
        request.headers.get("origin"), request.headers.get("referer"), settings.base_url
    ):
        return JSONResponse(
            {"error": "forbidden", "message": "Open the setup link from your email."},
            status_code=403,
            headers=SECURITY_HEADERS,
        )
    try:
        token = await _form_token(request)
    except BodyError as e:
        return JSONResponse(
            {"error": "invalid_request", "message": str(e)},
            status_code=400,
            headers=SECURITY_HEADERS,
        )
    try:
        _session, cookie_token = await portal.start_portal_session(token, settings)
    except DomainError as e:
        return _link_failure(e)
    response = RedirectResponse("/portal", status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        COOKIE_NAME,
        cookie_token,
        max_age=settings.portal_session_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
    )
    return response


async def _page_context(request: Request) -> tuple[PortalSession, dict[str, Any]] | None:
    cookie = request.cookies.get(COOKIE_NAME)
    session = await load_portal_session(cookie) if cookie else None
    if session is None or cookie is None:
        return None
    # What the page does (the SSO test sign-in's events) is the portal session's act.
    set_actor(Actor(ActorKind.PORTAL_SESSION, session.id))
    org = await Organization.get(id=session.organization_id)
    return session, {
        "organization": org,
        "csrf_token": csrf_token_for(_settings(request).secret_key, cookie),
        "return_url": session.return_url,
        "intents": [PortalIntent(i) for i in session.intents],
        "intent_pages": INTENT_PAGES,
        "intent_titles": INTENT_TITLES,
    }


async def home(request: Request) -> Response:
    found = await _page_context(request)
    if found is None:
        return _to_expired("session")
    session, context = found
    checklist = await portal.onboarding_checklist(session)
    return _render(request, "home.html", checklist=checklist, **context)


async def _intent_page(request: Request, intent: PortalIntent, template: str) -> Response:
    found = await _page_context(request)
    if found is None:
        return _to_expired("session")
    session, context = found
    if intent.value not in session.intents:
        return RedirectResponse("/portal", status_code=303)
    return _render(request, template, **context)


async def domains(request: Request) -> Response:
    return await _intent_page(request, PortalIntent.DOMAIN_VERIFICATION, "domains.html")


async def directory(request: Request) -> Response:
    return await _intent_page(request, PortalIntent.DSYNC, "directory.html")


async def log_streams(request: Request) -> Response:
    return await _intent_page(request, PortalIntent.LOG_STREAMS, "log_streams.html")


async def certificates(request: Request) -> Response:
    return await _intent_page(request, PortalIntent.CERTIFICATE_RENEWAL, "certificates.html")


async def audit_logs(request: Request) -> Response:
    return await _intent_page(request, PortalIntent.AUDIT_LOGS, "audit_logs.html")


async def sso(request: Request) -> Response:
    from gatehouse.resolvers.portal.sign_in_check import last_failure

    found = await _page_context(request)
    if found is None:
        return _to_expired("session")
    session, context = found
    if PortalIntent.SSO.value not in session.intents:
        return RedirectResponse("/portal", status_code=303)
    failure = await last_failure(session.organization_id, session.created_at)
    return _render(request, "sso.html", last_failure=failure, **context)


async def expired(request: Request) -> Response:
    reason = request.query_params.get("reason", "expired")
    message = EXPIRED_REASONS.get(reason, EXPIRED_REASONS["expired"])
    return _render(request, "expired.html", status_code=410, message=message)


async def brand_css(request: Request) -> Response:
    brand = brand_from(_settings(request))
    css = f":root {{ --brand: {brand.color}; --on-brand: {brand.on_color}; }}\n"
    return Response(css, media_type="text/css", headers={"Cache-Control": "no-cache"})


routes: list[BaseRoute] = [
    Route("/portal/start", show_start, methods=["GET"]),
    Route("/portal/start", start, methods=["POST"]),
    Route("/portal", home, methods=["GET"]),
    Route("/portal/domains", domains, methods=["GET"]),
    Route("/portal/sso", sso, methods=["GET"]),
    Route("/portal/directory", directory, methods=["GET"]),
    Route("/portal/log-streams", log_streams, methods=["GET"]),
    Route("/portal/certificates", certificates, methods=["GET"]),
    Route("/portal/audit-logs", audit_logs, methods=["GET"]),
    Route("/portal/expired", expired, methods=["GET"]),
    Route("/portal/brand.css", brand_css, methods=["GET"]),
    Mount("/portal/static", StaticFiles(directory=HERE / "static"), name="portal-static"),
]
