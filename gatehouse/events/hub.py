"""Per-process fan-out of sequenced events to live readers.

One task per process follows the outbox head (woken by the bus, or by its poll) and keeps the
most recent events in memory, contiguous by position; every subscription on the process reads
from that window instead of querying the database, and falls back to the database for older
cursors (a replay). Readers pull at their own pace, so a slow subscriber never grows a buffer:
once it falls out of the window it is told its resume cursor (see resolvers/events/reading.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence

from tortoise.expressions import Q

from gatehouse.events.bus import LocalBus
from gatehouse.events.sequencer import head_position
from gatehouse.models import Event
from gatehouse.ops.background import pause

log = logging.getLogger("gatehouse.events.hub")
LOAD_BATCH = 1000
CLOSE_GRACE_SECONDS = 2.0


class Hub:
    def __init__(self, bus: LocalBus, poll_seconds: float, window: int = 10_000) -> None:
        self.head = 0
        self.recent: deque[Event] = deque(maxlen=window)
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._tick = asyncio.Event()
        self.closing = False
        self.readers = 0  # live subscriptions reading from this hub
        # Set while the hub skips reading because nobody reads from it: `head` and the window
        # may be old until the next load after a reader joins.
        self.behind = False
        self._no_readers = asyncio.Event()
        bus.add_listener(self._on_bus)

    def _on_bus(self, position: int) -> None:
        if position == 0 or position > self.head:
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def prime(self) -> None:
        """Start following from the current head (before `run`, so no reader sees head 0)."""
        self.head = await head_position()
        self.closing = False

    def reader_joined(self) -> None:
        self.readers += 1
        self._no_readers.clear()
        if self.behind:
            self._wake.set()  # catch up now, not at the next poll

    def reader_left(self) -> None:
        self.readers -= 1
        if not self.readers:
            self._no_readers.set()

    async def close_subscriptions(self) -> None:
        """The process is going away: every live reader ends with its resume cursor
        (resolvers/events/reading.py). Called before the server closes the sockets under them, and
        waits (bounded) until the readers have ended."""
        self.closing = True
        self._release_readers()
        if self.readers:
            await pause(self._no_readers, CLOSE_GRACE_SECONDS)

    def _release_readers(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop (ops/background.py)."""
        while not stop.is_set():
            await pause(self._wake, self.poll_seconds)
            self._wake.clear()
            if stop.is_set():
                return
            try:
                await self._load()
            except Exception:
                # The database is away: keep serving what we have, try again on the next poll.
                log.exception("event hub could not read the outbox")

    async def _load(self) -> None:
        if not self.readers:
            # Nobody on this process reads the window: a read now would be thrown away (a
            # process serving only SCIM or sign-ins read the outbox after every write).
            self.behind = True
            return
        if self.behind:
            head = await head_position()
            if head - self.head > self.window_size:
                # More was missed than the window holds: keep only its last window's worth.
                self.recent.clear()
                self.head = head - self.window_size
        grew = False
        while True:
            rows = await Event.filter(position__gt=self.head).order_by("position").limit(LOAD_BATCH)
            for row in rows:
                assert row.position is not None
                if self.recent and row.position != self.head + 1:
                    self.recent.clear()  # retention or a reset: keep the window contiguous
                self.recent.append(row)
                self.head = row.position
            grew = grew or bool(rows)
            if len(rows) < LOAD_BATCH:
                break
        self.behind = False
        if grew:
            self._release_readers()

    @property
    def tick(self) -> asyncio.Event:
        """Set when the head moves; take it *before* reading, then wait on it."""
        return self._tick

    @property
    def window_size(self) -> int:
        return self.recent.maxlen or 0

    def window_start(self) -> int | None:
        return self.recent[0].position if self.recent else None

    def in_window(self, cursor: int) -> bool:
        start = self.window_start()
        return start is not None and cursor >= start - 1

    async def read_after(
        self, cursor: int, organization_id: str | None, types: Sequence[str] | None, limit: int
    ) -> tuple[list[Event], int]:
        """Matching events after `cursor`, and the cursor to continue from."""
        start = self.window_start()
        if start is not None and cursor >= start - 1:
            matched: list[Event] = []
            new_cursor = cursor
            for i in range(cursor - start + 1, len(self.recent)):
                event = self.recent[i]
                new_cursor = event.position or new_cursor
                if _matches(event, organization_id, types):
                    matched.append(event)
                    if len(matched) == limit:
                        break
            return matched, new_cursor
        return await read_outbox(cursor, organization_id, types, limit, self.head)


def _matches(event: Event, organization_id: str | None, types: Sequence[str] | None) -> bool:
    if organization_id is not None and event.organization_id != organization_id:
        return False
    return not types or event.type in types


async def read_outbox(
    cursor: int,
    organization_id: str | None,
    types: Sequence[str] | None,
    limit: int,
    known_head: int,
) -> tuple[list[Event], int]:
    """From the database. `known_head` was read before the query, so when fewer than `limit`
    rows match, every event up to it has been seen and the cursor may move there."""
    query = Event.filter(Q(position__gt=cursor))
    if organization_id is not None:
        query = query.filter(organization_id=organization_id)
    if types:
        query = query.filter(type__in=list(types))
    rows = list(await query.order_by("position").limit(limit))
    last = rows[-1].position if rows else cursor
    assert last is not None
    if len(rows) < limit:
        last = max(last, known_head)
    return rows, last
