"""Reading the event outbox: the `events` page and the live subscription.

Both read by position (commit order, events/sequencer.py), never by id, so neither skips an
event that committed late (SECURITY.md 38a). The cursor is the position, made opaque.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events.hub import Hub, read_outbox
from gatehouse.events.retention import cursor_expired
from gatehouse.events.sequencer import head_position
from gatehouse.models import Event
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import AuthenticationRequired, DomainError, ErrorCode, not_found
from gatehouse.resolvers.pagination import check_page_size, decode_cursor, encode_cursor

REPLAY_BATCH = 100


MAX_POSITION_DIGITS = 18  # below 2**63: every such number fits a bigint


def encode_event_cursor(position: int) -> str:
    return encode_cursor(f"pos:{position}")


async def decode_event_cursor(cursor: str | None) -> int:
    """The position a cursor stands for (0: from the oldest retained event)."""
    if not cursor:
        return 0
    prefix, _, digits = decode_cursor(cursor).partition(":")
    # ASCII digits only (decode_cursor admits ASCII alone, so `isdigit` cannot pass "²", which
    # int() refuses), and no more than a position column holds (a bigint): a larger number
    # would fail the query.
    if prefix != "pos" or not digits.isdigit() or len(digits) > MAX_POSITION_DIGITS:
        raise DomainError.of(ErrorCode.INVALID_CURSOR, "Invalid cursor.", "after")
    position = int(digits)
    if await cursor_expired(position):
        raise DomainError.of(
            ErrorCode.CURSOR_EXPIRED,
            "Events after this cursor are past retention; start again without `after`.",
            "after",
        )
    return position


def scope_organization(principal: Principal, organization_id: str | None) -> str | None:
    """The organization a reader may follow: a scoped caller only its own."""
    if principal.organization_id is None:
        return organization_id
    if organization_id not in (None, principal.organization_id):
        raise not_found("Organization", "organizationId")
    return principal.organization_id


@dataclass(frozen=True, slots=True)
class EventPage:
    items: list[Event]
    has_next_page: bool
    has_previous_page: bool
    organization_id: str | None
    types: list[str] | None

    async def total_count(self) -> int:
        query = Event.filter(position__isnull=False)
        if self.organization_id is not None:
            query = query.filter(organization_id=self.organization_id)
        if self.types:
            query = query.filter(type__in=self.types)
        return await query.count()


async def list_events(
    principal: Principal,
    organization_id: str | None,
    types: list[str] | None,
    first: int | None,
    after: str | None,
) -> EventPage:
    require(principal, Permission.EVENTS_READ)
    size = check_page_size(first)
    if principal.organization_id not in (None, organization_id) and organization_id is not None:
        # Another tenant's events read as none at all (the foundation's contract).
        return EventPage([], False, after is not None, principal.organization_id, types)  # noqa: FBT003
    org = scope_organization(principal, organization_id)
    cursor = await decode_event_cursor(after)
    rows, _ = await read_outbox(cursor, org, types, size + 1, known_head=0)
    return EventPage(rows[:size], len(rows) > size, after is not None, org, types)


class SubscriptionEnded(Exception):
    """The server ended a subscription; the client reconnects with `after: cursor` and
    misses nothing."""

    code = "SUBSCRIPTION_ENDED"
    message = "Subscription ended; reconnect with the resume cursor."

    def __init__(self, cursor: int) -> None:
        super().__init__(self.message)
        self.cursor = encode_event_cursor(cursor)


class SubscriberTooSlow(SubscriptionEnded):
    """A live subscriber fell out of the in-memory window."""

    code = "SUBSCRIBER_TOO_SLOW"
    message = "Subscriber too slow; reconnect with the resume cursor."


class ServerShuttingDown(SubscriptionEnded):
    """This process is stopping (a deploy or a scale-in); another one takes the reconnect."""

    code = "SERVER_SHUTTING_DOWN"
    message = "Server shutting down; reconnect with the resume cursor."


Reauthenticate = Callable[[], Awaitable[Principal | None]]


async def subscription_start(
    principal: Principal, organization_id: str | None, after: str | None
) -> tuple[str | None, int]:
    """The organization a subscriber follows and the position it starts after."""
    require(principal, Permission.EVENTS_READ)
    org = scope_organization(principal, organization_id)
    return org, await decode_event_cursor(after) if after else await head_position()


async def subscribe_events(
    principal: Principal,
    hub: Hub,
    organization_id: str | None,
    types: list[str] | None,
    after: str | None,
    *,
    reauthenticate: Reauthenticate,
    recheck_seconds: float,
) -> AsyncIterator[Event]:
    """Replay after the cursor, then follow live: one loop reading by position, so the switch
    from replay to live can neither skip nor repeat an event."""
    org, cursor = await subscription_start(principal, organization_id, after)
    hub.reader_joined()
    try:
        stream = follow(hub, cursor, org, types, reauthenticate, recheck_seconds)
        async with contextlib.aclosing(stream):
            async for event in stream:
                yield event
    finally:
        hub.reader_left()


async def follow(
    hub: Hub,
    cursor: int,
    org: str | None,
    types: list[str] | None,
    reauthenticate: Reauthenticate | None,
    recheck_seconds: float,
) -> AsyncGenerator[Event, None]:
    """Events after `cursor` from the hub (the database for older ones); without
    `reauthenticate` nothing is rechecked (a fan-out group: its members recheck)."""
    was_live = False
    next_check = time.monotonic() + recheck_seconds if reauthenticate else math.inf
    while True:
        if hub.closing:
            raise ServerShuttingDown(cursor)
        if was_live and not hub.in_window(cursor) and hub.window_start() is not None:
            raise SubscriberTooSlow(cursor)
        tick = hub.tick
        # A hub catching up (hub.py `behind`) knows no head yet: nobody is live before it does.
        live = not hub.behind and (cursor >= hub.head or hub.in_window(cursor))
        batch, cursor = await hub.read_after(cursor, org, types, REPLAY_BATCH)
        was_live = was_live or live
        for event in batch:
            yield event
        if reauthenticate is not None and time.monotonic() >= next_check:
            await recheck(reauthenticate, org)
            next_check = time.monotonic() + recheck_seconds
        if len(batch) == REPLAY_BATCH or cursor < hub.head:
            continue
        wait = min(hub.poll_seconds, max(0.0, next_check - time.monotonic()))
        # asyncio.timeout, not wait_for: no extra task per waiting subscriber.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await tick.wait()


async def recheck(reauthenticate: Reauthenticate, organization_id: str | None) -> None:
    """A revoked key or a deactivated member loses the subscription (SECURITY.md 41)."""
    current = await reauthenticate()
    if current is None:
        raise AuthenticationRequired("Credential no longer valid.")
    require(current, Permission.EVENTS_READ)
    if organization_id is not None and not current.can_access_organization(organization_id):
        raise AuthenticationRequired("Credential no longer valid.")
