"""Per-request metrics and the access log line, plus the GraphQL hooks that feed them.

The access log has one line per request, from logger `gatehouse.access`, with fields:
request_id, method, route (the route template, never the query string), status, duration_ms,
principal_kind, organization_id, operation (GraphQL operation name). Handlers add what they
learn to `scope["state"]` (`note_principal`, the GraphQL extension for the operation).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from gatehouse.auth.principal import Principal
from gatehouse.ops import metrics
from gatehouse.ops.availability import is_database_unavailable

access_log = logging.getLogger("gatehouse.access")


def _state(scope: Scope) -> dict[str, Any]:
    return scope.setdefault("state", {})


def note_principal(scope: Scope, principal: Principal) -> None:
    """Record who is calling, for the access log (IDs and kinds only)."""
    _state(scope)["principal"] = principal


def route_template(scope: Scope) -> str:
    """The matching route's path template (`/scim/v2/{directory_id}/Users`), bounded."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    for route in getattr(scope.get("app"), "routes", []):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "other"))
    return "unmatched"


class ObservabilityMiddleware:
    """Counts, times and logs every HTTP request; sits inside RequestIdMiddleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        except Exception:
            status = 500
            metrics.ERRORS.labels("internal").inc()
            raise
        finally:
            self._record(scope, status, time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        method = scope.get("method", "GET")
        metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
        metrics.HTTP_LATENCY.labels(method, route).observe(seconds)
        state = _state(scope)
        principal: Principal | None = state.get("principal")
        access_log.info(
            "%s %s %s",
            method,
            route,
            status,
            extra={
                "request_id": state.get("request_id"),
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "principal_kind": principal.kind.value if principal else None,
                "organization_id": principal.organization_id if principal else None,
                "operation": state.get("operation"),
            },
        )


class OperationObserver(SchemaExtension):
    """Names the GraphQL operation (metrics, access log) and maps database outages to
    UNAVAILABLE. Listed after MaskErrors so its exit runs first: outage errors arrive
    unmasked and leave as a public UNAVAILABLE error instead of INTERNAL."""

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        ctx = self.execution_context
        name = metrics.operation_label(ctx.operation_name)
        try:
            op_type = ctx.operation_type.value
        except Exception:  # noqa: BLE001 - unparsable documents have no type
            op_type = "unknown"
        request = getattr(ctx.context, "request", None)
        if request is not None:
            _state(request.scope)["operation"] = name
        result = ctx.result
        errors = list(getattr(result, "errors", None) or [])
        if errors and result is not None:  # errors come only with a result
            errors = [
                _unavailable(e) if is_database_unavailable(e.original_error) else e for e in errors
            ]
            result.errors = errors
        for error in errors:
            default = "INTERNAL" if error.original_error else "BAD_REQUEST"
            code = (error.extensions or {}).get("code", default)
            metrics.GRAPHQL_ERRORS.labels(str(code)).inc()
        outcome = "error" if errors else "ok"
        metrics.GRAPHQL_OPERATIONS.labels(name, op_type, outcome).inc()
        metrics.GRAPHQL_LATENCY.labels(name, op_type).observe(time.perf_counter() - start)


def _unavailable(error: GraphQLError) -> GraphQLError:
    metrics.ERRORS.labels("database_unavailable").inc()
    return GraphQLError(
        "The database is unreachable; retry shortly.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "UNAVAILABLE"},
    )
