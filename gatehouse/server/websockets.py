"""Limits on GraphQL websockets (SECURITY 27a), in Strawberry's protocol handlers.

Each `subscribe` (graphql-transport-ws) or `start` (graphql-ws) takes a token from the same
bucket as the credential's HTTP requests, so a socket cannot be used to go around the rate
limit or to flood the server with operations; a refused one gets an `error` message with code
`RATE_LIMITED` and `retryAfter`, and the socket stays open. How many operations may be open at
once on one socket is Strawberry's `max_subscriptions_per_connection`, set from settings.

Each operation's task is tracked, so shutdown can wait until every ended subscription has
written its last message (the resume cursor) before the sockets close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage, StartMessage

from gatehouse.ops.background import pause
from gatehouse.ops.ratelimit import RateLimited, rate_limit
from gatehouse.schema.context import Context
from gatehouse.server.documents import DocumentRefused
from gatehouse.server.graphql_ops import rate_limited_error


class OperationTracker:
    """The websocket operations running on one app (its GraphQL view owns one)."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()

    async def track(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.running.add(task)
        self._idle.clear()
        try:
            await work
        finally:
            self.running.discard(task)
            if not self.running:
                self._idle.set()

    async def finished(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded wait
        """Wait (at most `timeout`) until no operation still runs: each has sent its final
        message."""
        if self.running:
            await pause(self._idle, timeout)


def _tracker(view: Any) -> OperationTracker:
    tracker: OperationTracker = view.operations
    return tracker


async def _refusal(context: Context) -> GraphQLError | None:
    """Why this operation may not start now, or None."""
    connection = context.request
    client = connection.client.host if connection is not None and connection.client else None
    try:
        await rate_limit(context.principal.rate_limit_key(client))
    except RateLimited as exc:
        return rate_limited_error(exc)
    return None


def _document_refusal(view: Any, payload: Any) -> GraphQLError | None:
    """Persisted and trusted documents over websockets too: a listed hash stands for its text,
    and in trusted mode an unlisted document is refused before it is parsed."""
    if not isinstance(payload, dict):
        return None
    try:
        resolved = view.documents.resolve(
            payload.get("query"), payload.get("extensions"), payload.get("documentId")
        )
    except DocumentRefused as e:
        return GraphQLError(e.message, extensions={"code": e.code})
    if resolved is not None:
        payload["query"] = resolved.query
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Before `connection_init` there is no principal yet: Strawberry closes with 4401.
        if self.connection_acknowledged and message["id"] not in self.operations:
            error = _document_refusal(self.view, message.get("payload")) or await _refusal(
                self.context
            )
            if error is not None:
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [error.formatted]}
                )
                return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Any) -> None:
        await _tracker(self.view).track(super().run_operation(operation))


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            error = _document_refusal(self.view, message.get("payload")) or await _refusal(
                self.context
            )
            if error is not None:
                payload: Any = error.formatted
                await self.send_message(
                    ErrorMessage(type="error", id=message["id"], payload=payload)
                )
                return
        await super().handle_start(message)

    async def handle_async_results(self, *args: Any, **kwargs: Any) -> None:
        await _tracker(self.view).track(super().handle_async_results(*args, **kwargs))
