"""Everything events need at run time in one process: bus, sequencer, hub, delivery worker.

Started from the app's lifespan (`gatehouse serve`) and by `gatehouse worker`; its loops run
in the process's `BackgroundLoops`, which stops them before `close` releases the bus.
"""

from __future__ import annotations

import asyncio
import logging

from gatehouse.events.bus import LocalBus, make_bus
from gatehouse.events.hub import Hub
from gatehouse.events.retention import prune_audit_entries, prune_events
from gatehouse.events.sequencer import sequence_pending
from gatehouse.events.worker import DeliveryWorker
from gatehouse.ops.background import BackgroundLoops, pause
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.events")
RETENTION_INTERVAL_SECONDS = 3600.0
SEQUENCE_INTERVAL = 0.02


class EventRuntime:
    def __init__(self, settings: Settings, *, run_worker: bool | None = None) -> None:
        self.settings = settings
        self.bus: LocalBus = make_bus(settings.redis_url)
        self.hub = Hub(self.bus, settings.event_poll_seconds, window=settings.subscription_max_lag)
        self.run_worker = settings.run_worker if run_worker is None else run_worker
        self._kick = asyncio.Event()
        self._published = 0
        self.worker: DeliveryWorker | None = None

    def kick(self) -> None:
        """Something may have committed events: sequence them now rather than at the poll."""
        self._kick.set()

    async def start(self, loops: BackgroundLoops) -> None:
        await self.bus.start()
        await self.hub.prime()
        loops.start("event-sequencer", self._sequencer, wake=self.kick)
        loops.start("event-retention", self._retention)
        loops.start("event-hub", self.hub.run, wake=self.hub.wake)
        if self.run_worker:
            self.worker = DeliveryWorker(self.settings, self.bus, on_event=self.kick)
            loops.start("event-delivery", self.worker.run, wake=self.worker.wake)

    async def close(self) -> None:
        """After the loops have stopped."""
        await self.bus.stop()

    async def _sequencer(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            self._kick.clear()
            started = loop.time()
            try:
                head = await sequence_pending()
            except Exception:
                log.exception("sequencer failed; retrying at the next poll")
            else:
                if head > self._published:
                    self._published = head
                    await self.bus.publish(head)
            await pause(self._kick, self.settings.event_poll_seconds)
            # Under load every write kicks, and each pass is a locking transaction that then
            # makes every process's hub reload: one pass per SEQUENCE_INTERVAL serves all the
            # kicks before it. A lone write waits for none.
            rest = started + SEQUENCE_INTERVAL - loop.time()
            if rest > 0:
                await pause(stop, rest)

    async def _retention(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await prune_events(self.settings.event_retention_days)
                await prune_audit_entries()
            except Exception:
                log.exception("event retention failed")
            await pause(stop, RETENTION_INTERVAL_SECONDS)
