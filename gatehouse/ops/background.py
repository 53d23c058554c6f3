"""Background loops owned by a process's lifespan, stopped one way on shutdown.

Every periodic job (event sequencing and retention, the event hub, webhook delivery, invitation
retries, domain re-checks) runs here rather than in a bare `asyncio.create_task`, so stopping is
the same for all of them and the order is right: first every loop, then the bus and the pool.

A loop takes the shared `stop` event and returns soon after it is set, finishing what it is doing
(a transaction, an SMTP send, a webhook delivery) instead of being cancelled in the middle of it:
cancelling inside a database call can leave a SQLite connection locked or a delivery sent but not
recorded. A loop that waits on its own event passes `wake` so that stopping interrupts the wait.
Only a loop still running after the grace period is cancelled.

    loops.start("domain-recheck", lambda stop: run_rechecks(settings, stop))
    loops.start("event-hub", hub.run, wake=hub.wake)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("gatehouse.background")

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, Any]]


async def pause(event: asyncio.Event, seconds: float) -> None:
    """Sleep for `seconds`, or less if `event` (a stop, a wake-up) is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


class BackgroundLoops:
    def __init__(self, grace_seconds: float = 15.0) -> None:
        self.grace_seconds = grace_seconds
        self.stopping = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._wakers: list[Callable[[], None]] = []

    def start(self, name: str, loop: Loop, *, wake: Callable[[], None] | None = None) -> None:
        if name in self._tasks and not self._tasks[name].done():
            raise RuntimeError(f"background loop {name!r} is already running")
        if wake is not None:
            self._wakers.append(wake)
        self._tasks[name] = asyncio.create_task(self._guard(name, loop), name=name)

    @property
    def running(self) -> list[str]:
        return sorted(name for name, task in self._tasks.items() if not task.done())

    async def _guard(self, name: str, loop: Loop) -> None:
        try:
            await loop(self.stopping)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background loop %s crashed", name)

    async def stop(self) -> None:
        """Ask every loop to finish and wait for it; cancel those that outlast the grace."""
        self.stopping.set()
        for wake in self._wakers:
            wake()
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.grace_seconds)
            for task in pending:
                log.warning("background loop %s did not stop in time; cancelled", task.get_name())
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        self._tasks.clear()
        self._wakers.clear()
        self.stopping = asyncio.Event()  # the app may run another lifespan (tests, embedding)
