"""Everything events need at run time in one process: bus, sequencer loop, hub, worker.

Started from the app's lifespan (`gatehouse serve`) and by `gatehouse worker`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from gatehouse.events.bus import LocalBus, make_bus
from gatehouse.events.hub import Hub, stop_task
from gatehouse.events.retention import prune_events
from gatehouse.events.sequencer import sequence_pending
from gatehouse.events.worker import DeliveryWorker
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.events")
RETENTION_INTERVAL_SECONDS = 3600.0


class EventRuntime:
    def __init__(self, settings: Settings, *, run_worker: bool | None = None) -> None:
        self.settings = settings
        self.bus: LocalBus = make_bus(settings.redis_url)
        self.hub = Hub(self.bus, settings.event_poll_seconds, window=settings.subscription_max_lag)
        self.run_worker = settings.run_worker if run_worker is None else run_worker
        self._kick = asyncio.Event()
        self._published = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.worker: DeliveryWorker | None = None
        self._stopping = False
        self._stop_event = asyncio.Event()

    def kick(self) -> None:
        """Something may have committed events: sequence them now rather than at the poll."""
        self._kick.set()

    async def start(self) -> None:
        await self.bus.start()
        await self.hub.start()
        self._tasks.append(asyncio.create_task(self._sequencer(), name="gatehouse-sequencer"))
        self._tasks.append(asyncio.create_task(self._retention(), name="gatehouse-retention"))
        if self.run_worker:
            worker = DeliveryWorker(self.settings, self.bus, on_event=self.kick)
            self.worker = worker
            self._tasks.append(asyncio.create_task(worker.run(), name="gatehouse-worker"))

    async def stop(self) -> None:
        # Ask each loop to finish what it is doing (a transaction, a delivery) and exit;
        # cancelling inside a database call can leave a SQLite connection locked.
        self._stopping = True
        self._kick.set()
        if self.worker is not None:
            self.worker.stop()
        self._stop_event.set()
        for task in self._tasks:
            await stop_task(task)
        self._tasks.clear()
        await self.hub.stop()
        await self.bus.stop()

    async def _sequencer(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.settings.event_poll_seconds)
            self._kick.clear()
            if self._stopping:
                return
            try:
                head = await sequence_pending()
            except Exception:
                log.exception("sequencer failed; retrying at the next poll")
                continue
            if head > self._published:
                self._published = head
                await self.bus.publish(head)

    async def _retention(self) -> None:
        while not self._stopping:
            try:
                await prune_events(self.settings.event_retention_days)
            except Exception:
                log.exception("event retention failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), RETENTION_INTERVAL_SECONDS)
