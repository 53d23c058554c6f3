"""Limits on GraphQL websockets (SECURITY 27a), in Strawberry's protocol handlers.

Each `subscribe` (graphql-transport-ws) or `start` (graphql-ws) takes a token from the same
bucket as the credential's HTTP requests, so a socket cannot be used to go around the rate
limit or to flood the server with operations; a refused one gets an `error` message with code
`RATE_LIMITED` and `retryAfter`, and the socket stays open. How many operations may be open at
once on one socket is Strawberry's `max_subscriptions_per_connection`, set from settings.

Each operation's task is tracked, so shutdown can wait until every ended subscription has
written its last message (the resume cursor) before the sockets close.

Each operation's task also gets a sink (schema/fanout.py): where a fan-out group writes the
operation's frames, straight into uvicorn's websocket connection, as `websockets`' broadcast
does: the wire frame is built once per event and written to each transport, with no await and
nothing serialized per socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage, StartMessage
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from gatehouse.ops.background import pause
from gatehouse.ops.ratelimit import RateLimited, rate_limit
from gatehouse.schema import fanout
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


class SocketSink:
    """One operation's frames, written to uvicorn's (sans-I/O `websockets`) connection."""

    __slots__ = (
        "_open",
        "_protocol",
        "legacy",
        "operation_id",
        "operation_name",
        "query",
        "variables",
    )

    def __init__(
        self,
        protocol: WebSocketsSansIOProtocol,
        is_open: Callable[[], bool],
        operation_id: str,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        *,
        legacy: bool,
    ) -> None:
        self._protocol = protocol
        self._open = is_open
        self.operation_id = operation_id
        self.query = query
        self.variables = variables
        self.operation_name = operation_name
        self.legacy = legacy

    @staticmethod
    def encode(message: bytes) -> bytes:
        """One wire frame for every socket: a server's frames are unmasked, and left
        uncompressed (permessage-deflate lets a sender leave any message so, RFC 7692 6), the
        bytes need no connection's own compressor."""
        return Frame(Opcode.TEXT, message).serialize(mask=False)

    def send(self, wire: bytes, limit: int) -> fanout.Delivery:
        protocol = self._protocol
        transport = protocol.transport
        conn = protocol.conn
        if protocol.close_sent or protocol.disconnected or conn.state is not State.OPEN:
            return fanout.Delivery.GONE
        if transport.is_closing() or conn.expect_continuation_frame or not self._open():
            # Completed by the client (its task is being cancelled); uvicorn never fragments.
            return fanout.Delivery.GONE
        if transport.get_write_buffer_size() > limit:
            return fanout.Delivery.SLOW
        transport.write(wire)
        return fanout.Delivery.SENT


def _uvicorn_connection(websocket: Any) -> WebSocketsSansIOProtocol | None:
    """The connection under Strawberry's adapter. Middleware wraps `send`, never `receive`,
    so the ASGI receive callable is still the connection's own method."""
    receive = getattr(getattr(websocket, "ws", None), "_receive", None)
    protocol = getattr(receive, "__self__", None)
    return protocol if isinstance(protocol, WebSocketsSansIOProtocol) else None


def _set_sink(
    websocket: Any,
    is_open: Callable[[], bool],
    operation_id: str,
    query: Any,
    variables: Any,
    operation_name: Any,
    *,
    legacy: bool,
) -> None:
    protocol = _uvicorn_connection(websocket)
    if protocol is None or not isinstance(query, str):
        return  # another server: each subscription executes alone
    if variables is not None and not isinstance(variables, dict):
        return
    sink = SocketSink(
        protocol, is_open, operation_id, query, variables, operation_name, legacy=legacy
    )
    fanout.SINK.set(sink)  # the operation's own task: its context only


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
        _set_sink(
            self.websocket,
            lambda: self.operations.get(operation.id) is operation,
            operation.id,
            operation.query,
            operation.variables,
            operation.operation_name,
            legacy=False,
        )
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

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        task = asyncio.current_task()
        _set_sink(
            self.websocket,
            lambda: self.tasks.get(operation_id) is task,
            operation_id,
            query,
            variables,
            operation_name,
            legacy=True,
        )
        work = super().handle_async_results(operation_id, query, operation_name, variables)
        await _tracker(self.view).track(work)
