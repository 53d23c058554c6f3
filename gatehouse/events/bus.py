"""The event bus: tells every process "the outbox has grown to position N".

It carries wake-ups, not events. Readers (subscriptions, the delivery worker) read events
from the outbox by cursor, so a lost message costs latency (until the next poll), never an
event. In-process by default; Redis pub/sub when `REDIS_URL` is set, so a subscriber on
process A wakes when process B sequences an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("gatehouse.events.bus")

Listener = Callable[[int], None]
CHANNEL = "gatehouse:events"


class Bus(Protocol):
    def add_listener(self, listener: Listener) -> None: ...
    async def publish(self, position: int) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class LocalBus:
    """One process: publishing calls the listeners directly."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _notify(self, position: int) -> None:
        for listener in self._listeners:
            listener(position)

    async def publish(self, position: int) -> None:
        self._notify(position)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisBus(LocalBus):
    """Redis pub/sub across processes. Redis down: local listeners still hear local
    publishes, remote ones catch up by polling; on reconnect every listener is woken once."""

    def __init__(self, url: str, retry_seconds: float = 1.0) -> None:
        super().__init__()
        self._url = url
        self._retry = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._publisher: Any = None
        self.connected = asyncio.Event()

    async def publish(self, position: int) -> None:
        self._notify(position)
        import redis.asyncio as redis

        if self._publisher is None:
            return
        try:
            await self._publisher.publish(CHANNEL, str(position))
        except (redis.RedisError, OSError) as e:
            log.warning("redis publish failed (%s); remote readers will poll", type(e).__name__)

    async def start(self) -> None:
        import redis.asyncio as redis

        # The pool reconnects by itself on the next publish after Redis comes back.
        self._publisher = redis.from_url(self._url, socket_timeout=2, socket_connect_timeout=2)
        self._task = asyncio.create_task(self._listen(), name="gatehouse-redis-bus")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._publisher is not None:
            await self._publisher.aclose()

    async def _listen(self) -> None:
        import redis.asyncio as redis

        while True:
            try:
                client = redis.from_url(self._url, socket_connect_timeout=2)
                async with client, client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.connected.set()
                    # Whatever was published while we were away: catch up from the outbox.
                    self._notify(0)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._notify(int(message["data"]))
            except (redis.RedisError, OSError, ValueError) as e:
                self.connected.clear()
                log.warning("redis bus disconnected (%s); retrying", type(e).__name__)
                await asyncio.sleep(self._retry)


def make_bus(redis_url: str | None) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
