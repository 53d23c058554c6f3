"""Limits on GraphQL websockets (SECURITY 27a), in Strawberry's protocol handlers.

Each `subscribe` (graphql-transport-ws) or `start` (graphql-ws) takes a token from the same
bucket as the credential's HTTP requests, so a socket cannot be used to go around the rate
limit or to flood the server with operations; a refused one gets an `error` message with code
`RATE_LIMITED` and `retryAfter`, and the socket stays open. How many operations may be open at
once on one socket is Strawberry's `max_subscriptions_per_connection`, set from settings.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage, StartMessage

from gatehouse.schema.context import Context
from gatehouse.server.ratelimit import RateLimited, principal_key, rate_limit


async def _refusal(context: Context) -> GraphQLError | None:
    """Why this operation may not start now, or None."""
    connection = context.request
    client = connection.client.host if connection is not None and connection.client else None
    try:
        await rate_limit(principal_key(context.principal, client))
    except RateLimited as exc:
        return GraphQLError(
            "Rate limit exceeded; retry after the delay in `retryAfter` seconds.",
            extensions={"code": "RATE_LIMITED", "retryAfter": exc.retry_after_header},
        )
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Before `connection_init` there is no principal yet: Strawberry closes with 4401.
        if self.connection_acknowledged and message["id"] not in self.operations:
            error = await _refusal(self.context)
            if error is not None:
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [error.formatted]}
                )
                return
        await super().handle_subscribe(message)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            error = await _refusal(self.context)
            if error is not None:
                payload: Any = error.formatted
                await self.send_message(
                    ErrorMessage(type="error", id=message["id"], payload=payload)
                )
                return
        await super().handle_start(message)
