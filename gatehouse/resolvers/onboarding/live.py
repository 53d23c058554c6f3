"""The live onboarding status: one watcher per organization and process, shared by every
subscriber to that organization.

The watcher follows the organization's events through the process's hub (events/hub.py) and,
after each batch of new events, recomputes the status once; subscribers only read the latest
status it holds. So a hundred dashboards on one customer cost one computation per change, and a
slow subscriber skips to the newest status instead of growing a buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events.hub import Hub
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import AuthenticationRequired, not_found
from gatehouse.resolvers.onboarding.status import OnboardingStatus, compute_statuses, get_onboarding

log = logging.getLogger("gatehouse.onboarding")
READ_BATCH = 500
Reauthenticate = Callable[[], Awaitable[Principal | None]]


class OnboardingEnded(Exception):
    code = "SERVER_SHUTTING_DOWN"


class Watch:
    """One organization's status on this process, and who is reading it."""

    def __init__(
        self, feed: OnboardingFeed, organization_id: str, status: OnboardingStatus
    ) -> None:
        self.feed = feed
        self.organization_id = organization_id
        self.status = status
        self.version = 0
        self.computations = 1  # how many times the status was computed (tests read it)
        self.readers = 0
        self._changed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    @property
    def changed(self) -> asyncio.Event:
        """Set on the next new status; take it before reading `status`, then wait on it."""
        return self._changed

    def publish(self, status: OnboardingStatus) -> None:
        self.status = status
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def follow(self, cursor: int) -> None:
        hub = self.feed.hub
        while not hub.closing:
            tick = hub.tick
            try:
                cursor = await self._step(cursor)
            except Exception:
                # The database is away: keep the last status, try again on the next poll.
                log.exception("onboarding status of %s not computed", self.organization_id)
            else:
                if cursor < hub.head:
                    continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(hub.poll_seconds):
                    await tick.wait()
        self.publish(self.status)  # wake the readers: they see `closing` and end

    async def _step(self, cursor: int) -> int:
        """Read the organization's next events; when there are any, compute once."""
        events, after = await self.feed.hub.read_after(
            cursor, self.organization_id, None, READ_BATCH
        )
        if events:
            fresh = (await compute_statuses([self.organization_id]))[self.organization_id]
            self.computations += 1
            if fresh != self.status:
                self.publish(fresh)
        return after


class OnboardingFeed:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.watches: dict[str, Watch] = {}
        self._starting: dict[str, asyncio.Lock] = {}

    async def join(self, organization_id: str) -> Watch:
        lock = self._starting.setdefault(organization_id, asyncio.Lock())
        async with lock:
            watch = self.watches.get(organization_id)
            if watch is None:
                # The head first: an event committed while we compute is read, not skipped.
                cursor = self.hub.head
                status = (await compute_statuses([organization_id]))[organization_id]
                watch = Watch(self, organization_id, status)
                watch.task = asyncio.create_task(watch.follow(cursor))
                self.watches[organization_id] = watch
            watch.readers += 1
            return watch

    def leave(self, watch: Watch) -> None:
        watch.readers -= 1
        if watch.readers == 0 and self.watches.get(watch.organization_id) is watch:
            del self.watches[watch.organization_id]
            if watch.task is not None:
                watch.task.cancel()


_feeds: weakref.WeakKeyDictionary[Hub, OnboardingFeed] = weakref.WeakKeyDictionary()


def feed_for(hub: Hub) -> OnboardingFeed:
    feed = _feeds.get(hub)
    if feed is None:
        feed = _feeds[hub] = OnboardingFeed(hub)
    return feed


async def subscribe_onboarding(
    principal: Principal,
    hub: Hub,
    organization_id: str,
    *,
    reauthenticate: Reauthenticate,
    recheck_seconds: float,
) -> AsyncIterator[OnboardingStatus]:
    """The current status, then each new one, until the caller's credential lapses or the
    process stops (`OnboardingEnded`: reconnect, and the first message is the status then)."""
    if await get_onboarding(principal, organization_id) is None:
        raise not_found("Organization", "organizationId")
    feed = feed_for(hub)
    watch = await feed.join(organization_id)
    hub.reader_joined()
    try:
        seen = -1
        next_check = time.monotonic() + recheck_seconds
        while True:
            changed = watch.changed
            if hub.closing:
                raise OnboardingEnded("Server shutting down; reconnect for the current status.")
            if watch.version != seen:
                seen = watch.version
                yield watch.status
            if time.monotonic() >= next_check:
                await _recheck(reauthenticate, organization_id)
                next_check = time.monotonic() + recheck_seconds
            wait = max(0.0, next_check - time.monotonic())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await changed.wait()
    finally:
        hub.reader_left()
        feed.leave(watch)


async def _recheck(reauthenticate: Reauthenticate, organization_id: str) -> None:
    """A revoked key or a deactivated member loses the subscription (SECURITY.md 41)."""
    current = await reauthenticate()
    if current is None or not current.can_access_organization(organization_id):
        raise AuthenticationRequired("Credential no longer valid.")
    require(current, Permission.ORGANIZATIONS_READ)
