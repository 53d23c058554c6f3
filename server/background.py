"""Background loops owned by the app's lifespan, stopped cleanly on shutdown.

Other areas start their periodic work here (domain re-checks, outbox relays) instead of with a
bare `asyncio.create_task`, so a SIGTERM lets uvicorn finish in-flight requests, then cancels
each loop (its `finally` blocks run) and only then closes the database pool.

    app.state.background.start("domain-recheck", recheck_pending_domains_forever)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("gatehouse.background")


class BackgroundLoops:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def start(self, name: str, loop: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        if name in self._tasks and not self._tasks[name].done():
            raise RuntimeError(f"background loop {name!r} is already running")
        self._tasks[name] = asyncio.create_task(self._guard(name, loop), name=name)

    @property
    def running(self) -> list[str]:
        return sorted(name for name, task in self._tasks.items() if not task.done())

    async def _guard(self, name: str, loop: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        try:
            await loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background loop %s crashed", name)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Cancel every loop and wait (bounded) for their cleanup to run."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                log.warning("background loop %s did not stop in time", task.get_name())
            for task in done:
                with contextlib.suppress(asyncio.CancelledError):
                    task.result()
        self._tasks.clear()
