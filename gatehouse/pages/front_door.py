"""`GET /`: a small page (JSON for API clients) naming where things are, so an operator who
opens the base URL finds the API, the IDE, the health checks and the docs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gatehouse.pages.rendering import headers, settings_of, templates

DOCS = "README.md and docs/architecture.md in the Gatehouse source"
SCHEMA = "gatehouse/schema/schema.graphql"


def directory(request: Request) -> dict[str, Any]:
    settings = settings_of(request)
    base = settings.base_url.rstrip("/")
    return {
        "service": "gatehouse",
        "graphql": f"{base}/graphql",
        # The IDE is the same URL opened in a browser, where it is enabled (development).
        "graphiql": f"{base}/graphql" if settings.ide_enabled else None,
        "health": {"live": f"{base}/healthz", "ready": f"{base}/readyz"},
        "metrics": f"{base}/metrics" if settings.metrics_enabled else None,
        "jwks": f"{base}/.well-known/jwks.json",
        "docs": DOCS,
        "schema": SCHEMA,
    }


async def front_door(request: Request) -> Response:
    body = directory(request)
    # Browsers ask for HTML; curl (*/*) and API clients get JSON.
    if "text/html" in request.headers.get("accept", ""):
        html = templates.get_template("front_door.html").render(**body)
        return HTMLResponse(html, headers=headers(settings_of(request)))
    return JSONResponse(body, headers=headers(settings_of(request)))


routes = [Route("/", front_door, methods=["GET"])]
