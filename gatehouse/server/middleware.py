"""Pure ASGI middleware: request ids, the request body limit and the URL's NUL check."""

from __future__ import annotations

import json
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse.models.acting import RequestContext, set_request_context

REQUEST_ID_HEADER = b"x-request-id"


class RequestIdMiddleware:
    """Gives every request an id (`scope["state"]["request_id"]`) and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = "req_" + secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        # Every event this request writes says where it came from (models/acting.py).
        client = scope.get("client")
        set_request_context(
            RequestContext(
                request_id=request_id,
                ip_address=client[0] if client else None,
                user_agent=_header(scope, b"user-agent"),
            )
        )

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((REQUEST_ID_HEADER, request_id.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses request bodies above a limit with 413, before anything parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await _too_large(scope, send, self.max_bytes)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, send, self.max_bytes)


class NulInUrlMiddleware:
    """Refuses with 400 a URL whose path or query holds a NUL character (`%00`).

    Routes hand path and query values to queries (a connection id, a SCIM filter, a portal
    token), and PostgreSQL refuses a NUL in any text value: such a request would otherwise fail
    as an internal error, or as a 503 that tells the client to retry. The bodies' check is in
    gatehouse/inbound.py."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The path arrives percent-decoded; the query string as sent, where `%2500` is the text
        # "%00" and not a NUL.
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            message = "The URL holds a NUL character (%00)."
            await refuse(scope, send, 400, "invalid_request", message, scim_type="invalidValue")
            return
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")[:500]
    return None


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0


async def _too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    await refuse(scope, send, 413, "request_too_large", f"Request body over {max_bytes} bytes.")


async def refuse(
    scope: Scope,
    send: Send,
    status: int,
    error: str,
    message: str,
    *,
    scim_type: str | None = None,
) -> None:
    """A refusal before any route runs, in the shape the route's clients read."""
    content_type = b"application/json"
    payload: dict[str, str | list[str]] = {"error": error, "message": message}
    if scope.get("path", "").startswith("/scim/"):
        # SCIM clients expect a SCIM error body (RFC 7644 §3.12) on every failure.
        content_type = b"application/scim+json"
        payload = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": str(status),
            "detail": message,
        }
        if scim_type:
            payload["scimType"] = scim_type
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
