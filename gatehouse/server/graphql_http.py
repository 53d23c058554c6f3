"""GraphQL over HTTP (the GraphQL Foundation's specification): media types and status codes.

A client that accepts `application/graphql-response+json` gets that media type and the
specification's status codes: a request error (the document does not parse or validate, a
variable does not coerce, no document at all) is a 4xx with no `data` entry; an executed
operation is 200 even when a field failed. A client that accepts only `application/json` (or
says nothing) gets 200 for every GraphQL response, as before, so older clients keep reading
errors from the body.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from cross_web import HTTPException
from starlette.responses import JSONResponse

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
HTTP_ERROR_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE"}


class RequestRefused(HTTPException):
    """An HTTP-level refusal with its own error code (and headers, such as `Allow`)."""

    def __init__(
        self, status_code: int, reason: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code, reason)
        self.code = code
        self.headers = headers or {}


@dataclass
class Exchange:
    """What one HTTP request to the view has decided so far (a context variable: Strawberry's
    hooks that build the answer do not receive the request)."""

    media_type: str = APPLICATION_JSON
    request_error: bool = False
    # APQ: the hash to register once the document has run.
    register: str | None = None


EXCHANGE: contextvars.ContextVar[Exchange] = contextvars.ContextVar("graphql_exchange")


def current() -> Exchange:
    exchange = EXCHANGE.get(None)
    if exchange is None:  # outside a request (tests calling the view's hooks directly)
        exchange = Exchange()
        EXCHANGE.set(exchange)
    return exchange


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither."""
    if not accept or not accept.strip():
        return APPLICATION_JSON
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.strip().lower()
        weights[media] = max(weights.get(media, 0.0), quality)
    response = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    # Wildcards mean "anything": json is what a client that sends them has always received.
    plain = max(weights.get(APPLICATION_JSON, 0.0), weights.get("*/*", 0.0))
    plain = max(plain, weights.get("application/*", 0.0))
    if response > 0 and response >= plain:
        return GRAPHQL_RESPONSE_JSON
    if plain > 0:
        return APPLICATION_JSON
    return None


def is_request_error(result: Any) -> bool:
    """Nothing executed: no data, and no error located at a field's path."""
    errors = getattr(result, "errors", None) or []
    return getattr(result, "data", None) is None and not any(e.path for e in errors)


def error_response(
    status: int, message: str, code: str, media_type: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        media_type=media_type,
        headers=headers,
    )


def refusal_response(e: HTTPException, media_type: str) -> JSONResponse:
    if isinstance(e, RequestRefused):
        status = e.status_code
        if status == 200 and media_type == GRAPHQL_RESPONSE_JSON:
            # No data entry: with this media type the specification wants a 4xx.
            status = 400
        return error_response(status, e.reason, e.code, media_type, e.headers)
    code = HTTP_ERROR_CODES.get(e.status_code, "BAD_REQUEST")
    return error_response(e.status_code, e.reason, code, media_type)
