"""What every hosted page shares: its templates, its headers, HTML or JSON by `Accept`, and
the hand-off to the operator's app (a redirect with a one-time `code`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gatehouse.settings import Settings

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=select_autoescape(["html"]),
)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def headers(settings: Settings) -> dict[str, str]:
    # A form's own redirect counts against form-action in browsers: the pages may send people
    # on to the operator's allow-listed apps, and nowhere else.
    targets = " ".join(sorted({_origin(u) for u in settings.redirect_uris}))
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
        f"form-action 'self' {targets}".rstrip()
        + "; frame-ancestors 'none'; base-uri 'none'",
    }


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render(request: Request, template: str, status: int, **context: Any) -> Response:
    page_headers = headers(settings_of(request))
    if wants_json(request):
        body = context.get("json") or {}
        return JSONResponse(body, status_code=status, headers=page_headers)
    html = templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=page_headers)


def handoff_url(redirect_uri: str, code: str) -> str:
    sep = "&" if "?" in redirect_uri else "?"
    return redirect_uri + sep + urlencode({"code": code})


def hand_off(request: Request, redirect_uri: str, code: str, **json: Any) -> Response:
    """Send the browser to the operator's app with the one-time code (JSON clients get it)."""
    url = handoff_url(redirect_uri, code)
    if wants_json(request):
        return JSONResponse({**json, "redirect_to": url}, headers=headers(settings_of(request)))
    return RedirectResponse(url, status_code=303, headers=headers(settings_of(request)))
