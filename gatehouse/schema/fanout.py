"""Subscription fan-out by shape: subscribers whose frames would be the same bytes but for
the operation id share one execution and one serialized payload per event.

The shape is the document text, operation name and variables (canonical JSON) and everything
about the principal that a resolver reads to decide what to return (kind, organization scope,
permissions, role): two subscribers that differ in any of these never share a group, so a frame
never reaches a socket whose caller could not have read it (SECURITY.md 41).

The websocket handler (server/websockets.py) says where an operation's frames go by setting
SINK in the operation's task. Without a sink (another websocket implementation) a subscription
executes alone, as before. A group writes each frame straight into every member's transport
buffer, as `websockets`' broadcast does: no await and no serialization per socket. A member
whose buffer already holds MAX_PENDING_BYTES is not written to: it ends with its resume cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import Enum
from inspect import isawaitable
from typing import Any, Protocol

from graphql import DocumentNode, GraphQLError, execute
from strawberry.execution import optimized_is_awaitable
from strawberry.schema._graphql_core import execution_context_class_kwargs

from gatehouse.auth.principal import Principal
from gatehouse.schema.context import Info
from gatehouse.schema.limits import is_unexpected

log = logging.getLogger("gatehouse.fanout")
MAX_PENDING_BYTES = 1 << 20


class Delivery(Enum):
    SENT = "sent"
    SLOW = "slow"  # the socket's buffer is full: the member ends with its resume cursor
    GONE = "gone"  # the socket or the operation is closing: its own handler cleans up


class Sink(Protocol):
    """One websocket operation, as the handler that owns it exposes it."""

    operation_id: str
    legacy: bool  # graphql-ws `data` frames instead of graphql-transport-ws `next`
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None

    def encode(self, message: bytes) -> bytes:
        """The message as it goes on the wire, the same for every socket."""
        ...

    def send(self, wire: bytes, limit: int) -> Delivery: ...


SINK: ContextVar[Sink | None] = ContextVar("gatehouse_fanout_sink", default=None)


class Feed(Protocol):
    """What a group follows: values by position, shared by the group and read alone while a
    member catches up with it."""

    def follow(self, cursor: int) -> AsyncIterator[tuple[int, Any]]:
        """Values after `cursor`, live; it ends only by raising (the members end with it)."""
        ...

    async def catch_up(self, cursor: int, upto: int) -> tuple[list[tuple[int, Any]], int]:
        """Values after `cursor` up to `upto`, and the cursor they reach (at most `upto`)."""
        ...

    def ended(self, error: Exception, cursor: int) -> BaseException:
        """What a member raises when the group's feed fails with `error`."""
        ...

    def too_slow(self, cursor: int) -> BaseException: ...


def visibility(principal: Principal) -> tuple[Hashable, ...]:
    return (
        principal.kind.value,
        principal.organization_id,
        tuple(sorted(principal.permissions)),
        tuple(sorted(principal.role_permissions)),
    )


def shape(sink: Sink, principal: Principal) -> tuple[Hashable, ...]:
    variables = json.dumps(sink.variables or {}, sort_keys=True, separators=(",", ":"))
    return (sink.query, sink.operation_name, variables, visibility(principal))


def frame(sink: Sink, payload: str) -> bytes:
    op = json.dumps(sink.operation_id)
    if sink.legacy:
        return f'{{"type":"data","id":{op},"payload":{payload}}}'.encode()
    return f'{{"id":{op},"type":"next","payload":{payload}}}'.encode()


Execute = Callable[[Any], Awaitable[str]]


def executor(info: Info, sink: Sink) -> Execute:
    """One event's payload, serialized: the subscription's selection executed on it, as
    Strawberry executes each event of a subscription (without its per-operation hooks)."""
    raw = info._raw_info  # noqa: SLF001 - the parsed operation Strawberry already validated
    document = DocumentNode(definitions=(raw.operation, *raw.fragments.values()))
    context = info.context
    schema: Any = info.schema
    # As Strawberry's own execute passes them (its executor class, its awaitable check).
    options = {
        **execution_context_class_kwargs(schema.execution_context_class),
        "is_awaitable": optimized_is_awaitable,
        "operation_extensions": None,
    }

    async def run(root: Any) -> str:
        result = execute(
            raw.schema,
            document,
            root_value=root,
            context_value=context,
            variable_values=sink.variables,
            operation_name=sink.operation_name,
            **options,
        )
        if isawaitable(result):
            result = await result
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [_masked(e, context.request_id).formatted for e in result.errors]
        return json.dumps(payload, separators=(",", ":"))

    return run


def _masked(error: GraphQLError, request_id: str) -> GraphQLError:
    # As MaskUnexpectedErrors does for every other operation (schema/limits.py).
    if not is_unexpected(error):
        return error
    log.error("unexpected error in a subscription (request %s)", request_id, exc_info=error)
    return GraphQLError(
        f"Internal error. Reference: {request_id}",
        path=error.path,
        extensions={"code": "INTERNAL", "requestId": request_id},
    )


@dataclass(eq=False, slots=True)
class Member:
    sink: Sink
    cursor: int  # every value up to here is written to its socket (or was before it joined)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    reason: BaseException | None = None

    def end(self, reason: BaseException) -> None:
        self.reason = reason
        self.ended.set()


class Group:
    """Subscribers of one shape on one process: one execution per value, one payload."""

    def __init__(
        self, groups: Groups, key: Hashable, feed: Feed, run: Execute, cursor: int
    ) -> None:
        self.groups = groups
        self.key = key
        self.feed = feed
        self.run = run
        self.cursor = cursor  # every value up to here was fanned out
        self.members: dict[Member, None] = {}
        self.executions = 0  # values executed for the whole group (tests read it)
        self.task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        try:
            async with contextlib.aclosing(self.feed.follow(self.cursor)) as values:  # type: ignore[type-var]
                async for position, value in values:
                    payload = await self.run(value)
                    self.executions += 1
                    self._fan_out(position, payload)
                    await asyncio.sleep(0)  # let the sockets flush between events of a batch
        except Exception as error:  # noqa: BLE001 - every member ends with it, below
            self._close()
            for member in list(self.members):
                member.end(self.feed.ended(error, member.cursor))
        finally:
            self._close()

    def _fan_out(self, position: int, payload: str) -> None:
        frames: dict[tuple[bool, str], bytes] = {}
        slow: list[Member] = []
        for member in self.members:
            if position <= member.cursor:
                continue  # it joined after this value (its start, or its catch-up)
            sink = member.sink
            key = (sink.legacy, sink.operation_id)
            data = frames.get(key)
            if data is None:
                data = frames[key] = sink.encode(frame(sink, payload))
            delivered = sink.send(data, MAX_PENDING_BYTES)
            if delivered is Delivery.SENT:
                member.cursor = position
            elif delivered is Delivery.SLOW:
                slow.append(member)
        self.cursor = position
        for member in slow:
            self.leave(member)
            member.end(self.feed.too_slow(member.cursor))

    def leave(self, member: Member) -> None:
        self.members.pop(member, None)
        if not self.members:
            self._close()
            self.task.cancel()

    def _close(self) -> None:
        if self.groups.groups.get(self.key) is self:
            del self.groups.groups[self.key]


class Groups:
    """The groups on one hub (one per process)."""

    def __init__(self) -> None:
        self.groups: dict[Hashable, Group] = {}


_groups: weakref.WeakKeyDictionary[Any, Groups] = weakref.WeakKeyDictionary()


def groups_for(hub: Any) -> Groups:
    groups = _groups.get(hub)
    if groups is None:
        groups = _groups[hub] = Groups()
    return groups


async def join(
    info: Info,
    sink: Sink,
    groups: Groups,
    feed: Feed,
    cursor: int,
    recheck: Callable[[], Awaitable[None]],
    recheck_seconds: float,
) -> AsyncGenerator[Any, None]:
    """A member's subscription: what it missed of its group's values, read and yielded alone
    (the caller's own execution), then nothing more: the group writes the frames, and this
    only waits until the member ends (raised here) or is due a recheck."""
    key = shape(sink, info.context.principal)
    member = Member(sink, cursor)
    joined: Group | None = None
    try:
        while True:
            group = groups.groups.get(key)
            if group is None:
                run = executor(info, sink)
                group = groups.groups[key] = Group(groups, key, feed, run, member.cursor)
            elif member.cursor < group.cursor:
                values, member.cursor = await feed.catch_up(member.cursor, group.cursor)
                for _, value in values:
                    yield value
                continue
            # No await since the group was read: it has fanned out nothing this member lacks.
            group.members[member] = None
            joined = group
            break
        loop = asyncio.get_running_loop()
        next_check = loop.time() + recheck_seconds
        while member.reason is None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_check - loop.time())):
                    await member.ended.wait()
            if member.reason is None:
                await recheck()
                next_check = loop.time() + recheck_seconds
        raise member.reason
    finally:
        if joined is not None:
            joined.leave(member)
