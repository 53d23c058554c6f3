"""CORS for the GraphQL API: browsers on the origins in GATEHOUSE_ALLOWED_ORIGINS may call it.

The same list guards websocket upgrades (server/graphql.py). An origin that is not listed gets
no `Access-Control-*` header at all, so its scripts cannot read an answer, and its preflights are
refused: the browser then never sends the request (Fetch standard, "CORS protocol"). Nothing is
ever reflected from the request but a listed origin, byte for byte.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = "GET, POST"
# What a GraphQL client sends: its credential, the body type, Apollo's and graphql-codegen's
# client headers, and the portal's CSRF header.
ALLOWED_HEADERS = frozenset(
    {
        "authorization",
        "content-type",
        "accept",
        "apollographql-client-name",
        "apollographql-client-version",
        "apollo-require-preflight",
        "x-gatehouse-csrf",
        "x-request-id",
    }
)
EXPOSED_HEADERS = "Retry-After, X-Request-Id"
PREFLIGHT_MAX_AGE = "600"
PATHS = ("/graphql",)


class CorsMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        # Origins are compared exactly (scheme, host and port; no trailing slash).
        self.allowed = frozenset(o.rstrip("/") for o in allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in PATHS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        listed = origin is not None and origin in self.allowed
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self.preflight(headers, origin if listed else None)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                # Every answer depends on the Origin, listed or not: caches must key on it.
                out.add_vary_header("Origin")
                if listed:
                    assert origin is not None
                    out["Access-Control-Allow-Origin"] = origin
                    out["Access-Control-Allow-Credentials"] = "true"
                    out["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def preflight(self, headers: Headers, origin: str | None) -> Response:
        vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        method = headers["access-control-request-method"].strip().upper()
        requested = [
            h.strip().lower()
            for h in headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        ]
        refusal = None
        if origin is None:
            refusal = ("ORIGIN_NOT_ALLOWED", "This origin may not call the API.")
        elif method not in {"GET", "POST"}:
            refusal = ("METHOD_NOT_ALLOWED", "Only GET and POST are allowed.")
        elif any(h not in ALLOWED_HEADERS for h in requested):
            refusal = ("HEADER_NOT_ALLOWED", "A requested header is not allowed.")
        if refusal is not None:
            code, message = refusal
            return JSONResponse(
                {"errors": [{"message": message, "extensions": {"code": code}}]},
                status_code=403,
                headers={"Vary": vary},
            )
        assert origin is not None
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ", ".join(requested) or "content-type",
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
                "Vary": vary,
            },
        )
