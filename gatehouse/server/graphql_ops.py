"""What Operations adds to the GraphQL view: rate limits, outage status, observability."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types.execution import ExecutionResult

from gatehouse.ops.availability import RETRY_AFTER_SECONDS
from gatehouse.ops.ratelimit import RateLimited, rate_limit
from gatehouse.server.observability import OperationObserver, note_principal

if TYPE_CHECKING:
    from strawberry.asgi import GraphQL

    from gatehouse.schema.context import Context

    # For the type checker only: the view this is mixed into, so `super()` resolves.
    _View = GraphQL[Context, None]
else:
    _View = object


def rate_limited_error(exc: RateLimited) -> GraphQLError:
    """The GraphQL form of a 429, over HTTP and in websocket `error` messages alike."""
    return GraphQLError(
        "Rate limit exceeded; retry after the delay in `retryAfter` seconds.",
        extensions={"code": "RATE_LIMITED", "retryAfter": exc.retry_after_header},
    )


def rate_limited_result(exc: RateLimited) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[rate_limited_error(exc)])


def _unavailable(result: Any) -> bool:
    # Any field that lost the database makes the whole answer a 503: retrying is the fix.
    return isinstance(result, ExecutionResult) and any(
        (e.extensions or {}).get("code") == "UNAVAILABLE" for e in result.errors or []
    )


class OperationsViewMixin(_View):
    """Mixed into the Strawberry view, before `GraphQL` in the bases."""

    schema: Any

    def install_operations_extensions(self) -> None:
        # Appended after MaskErrors: extension exits run in reverse, so ours sees errors first.
        self.schema.extensions = [*self.schema.extensions, OperationObserver]

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: Any,
        context: Any,
        root_value: Any,
        sub_response: Response,
    ) -> Any:
        note_principal(request.scope, context.principal)
        client = request.client.host if request.client else None
        try:
            await rate_limit(context.principal.rate_limit_key(client))
        except RateLimited as exc:
            # 429 like any other route, and a GraphQL error that GraphQL clients read.
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = exc.retry_after_header
            limited = rate_limited_result(exc)
            return [limited for _ in request_data] if isinstance(request_data, list) else limited
        result = await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
        if _unavailable(result):
            sub_response.status_code = 503
            sub_response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return result
