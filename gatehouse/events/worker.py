"""The delivery worker: each webhook endpoint and log stream gets its events in order.

Each target has one cursor. The worker claims a due target (PostgreSQL: `FOR UPDATE SKIP
LOCKED`, so several workers share targets and never send to the same one at once; SQLite: a
single worker), sends the target's next event(s) after its cursor, and advances the cursor
only on a 2xx — at least once, in order. Failures back off exponentially with jitter;
`Retry-After` is honoured; 410 disables; after three days of failure the target is marked
FAILING (and an event says so) but keeps being retried hourly.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import Tortoise
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gatehouse import outbound
from gatehouse.events import clock
from gatehouse.events.bus import LocalBus
from gatehouse.events.outbox import record_event
from gatehouse.events.sender import Outcome, send
from gatehouse.events.sequencer import head_position
from gatehouse.models import Delivery, Event, LogStream, TargetState, WebhookEndpoint
from gatehouse.ops.background import pause
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.events.worker")

Target = WebhookEndpoint | LogStream
MAX_DELAY = timedelta(hours=1)
MAX_RETRY_AFTER = timedelta(days=1)
GIVE_UP_AFTER = timedelta(days=3)
CONCURRENCY = 4
MIN_PASS_INTERVAL = 0.05  # seconds
LOG_STREAM_BATCH = 100


def backoff(attempts: int, base_seconds: float, retry_after: timedelta | None) -> timedelta:
    delay = min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), MAX_DELAY)
    delay = delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


@dataclass
class DeliveryWorker:
    settings: Settings
    bus: LocalBus
    on_event: Callable[[], None] = lambda: None

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._busy: set[str] = set()
        self.stopping = asyncio.Event()  # replaced by the loops' own in `run`
        self.bus.add_listener(lambda _: self._wake.set())
        self.client = outbound.client(self.settings.webhook_timeout_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop (ops/background.py). On `stop`, deliveries already sent
        are finished and recorded; no new one starts."""
        self.stopping = stop
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                started = loop.time()
                try:
                    sent = await self.run_once()
                except Exception:
                    log.exception("delivery pass failed")
                    sent = False
                if sent or stop.is_set():
                    continue
                await pause(self._wake, self.settings.event_poll_seconds)
                # Under load every commit wakes every process's worker, and an idle pass
                # still costs three queries: passes start at most every MIN_PASS_INTERVAL,
                # each serving all the wakes before it. An occasional event waits for none.
                rest = started + MIN_PASS_INTERVAL - loop.time()
                if rest > 0 and not stop.is_set():
                    await pause(stop, rest)
                self._wake.clear()
        finally:
            await self.client.aclose()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> bool:
        """One pass over the due targets; whether any request was made."""
        head = await head_position()
        due: list[tuple[type[Target], str]] = []
        moment = clock.now()
        for model in (WebhookEndpoint, LogStream):
            ids = await (
                model.filter(
                    Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment),
                    cursor__lt=head,
                )
                .exclude(state=TargetState.DISABLED)
                .order_by("next_attempt_at", "id")
                .limit(100)
                .values_list("id", flat=True)
            )
            due.extend((model, str(i)) for i in ids if i not in self._busy)
        if not due:
            return False
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def one(model: type[Target], target_id: str) -> bool:
            async with semaphore:
                if self.stopping.is_set():
                    return False
                return await self.deliver(model, target_id, head)

        results = await asyncio.gather(*(one(m, i) for m, i in due))
        return any(results)

    async def deliver(self, model: type[Target], target_id: str, head: int) -> bool:
        if target_id in self._busy:
            return False
        self._busy.add(target_id)
        try:
            if Tortoise.get_connection("default").capabilities.dialect == "postgres":
                # The row lock is the claim: another worker skips this target until commit.
                async with in_transaction():
                    target = (
                        await model.filter(id=target_id).select_for_update(skip_locked=True).first()
                    )
                    return await self._deliver(target, head) if target else False
            target = await model.get_or_none(id=target_id)
            return await self._deliver(target, head) if target else False
        finally:
            self._busy.discard(target_id)

    async def _deliver(self, target: Target, head: int) -> bool:
        moment = clock.now()
        if target.state is TargetState.DISABLED or target.cursor >= head:
            return False
        if target.next_attempt_at is not None and target.next_attempt_at > moment:
            return False
        events = await self._next_events(target, head)
        if not events:
            target.cursor = head  # nothing after the cursor matches this target
            await target.save(update_fields=["cursor"])
            return False
        started = time.monotonic()
        outcome = await send(target, events, self.client, self.settings)
        log.info(
            "delivered %s event(s) to %s: %s (%.0f ms)",
            len(events),
            target.id,
            outcome.status or outcome.error,
            (time.monotonic() - started) * 1000,
        )
        await self._record(target, events, outcome, moment)
        return True

    async def _next_events(self, target: Target, head: int) -> list[Event]:
        query = Event.filter(position__gt=target.cursor, position__lte=head)
        if target.organization_id is not None:
            query = query.filter(organization_id=target.organization_id)
        limit = LOG_STREAM_BATCH
        if isinstance(target, WebhookEndpoint):
            limit = 1
            if target.event_types:
                query = query.filter(type__in=target.event_types)
        return list(await query.order_by("position").limit(limit))

    async def _record(
        self, target: Target, events: list[Event], outcome: Outcome, moment: datetime
    ) -> None:
        attempt = target.attempts + 1
        await Delivery.bulk_create(
            [
                Delivery(
                    target_id=target.id,
                    event_id=e.id,
                    event_position=e.position,
                    succeeded=outcome.ok,
                    attempt=attempt,
                    response_status=outcome.status,
                    error=outcome.error,
                )
                for e in events
            ]
        )
        kind = "webhook_endpoint" if isinstance(target, WebhookEndpoint) else "log_stream"
        if outcome.ok:
            target.cursor = events[-1].position or target.cursor
            target.attempts = 0
            target.next_attempt_at = None
            target.failing_since = None
            target.state = TargetState.ACTIVE
        elif outcome.status == 410:
            target.state = TargetState.DISABLED
            await record_event(f"{kind}.disabled", target.organization_id, {"id": target.id})
            self.on_event()
        else:
            target.attempts = attempt
            target.failing_since = target.failing_since or moment
            delay = backoff(attempt, self.settings.webhook_retry_base_seconds, outcome.retry_after)
            target.next_attempt_at = moment + delay
            if (
                target.state is TargetState.ACTIVE
                and moment - target.failing_since >= GIVE_UP_AFTER
            ):
                target.state = TargetState.FAILING
                await record_event(f"{kind}.failing", target.organization_id, {"id": target.id})
                self.on_event()
        await target.save()
