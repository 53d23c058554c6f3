"""Graceful shutdown of `gatehouse worker`: on SIGTERM the deliveries already sent finish and
are recorded (their cursors move, so nothing is sent twice); no new delivery starts."""

from __future__ import annotations

import asyncio
import os

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.events import record_event
from gatehouse.events.sequencer import sequence_pending
from gatehouse.events.worker import CONCURRENCY
from gatehouse.models import Delivery, WebhookEndpoint
from tests.events.conftest import Receiver, endpoint_to, eventually
from tests.ops.procs import Worker


class HeldReceiver(Receiver):
    """Accepts webhooks but answers only when the test lets it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.arrived = 0

    async def handle(self, request: Request) -> Response:
        self.arrived += 1
        await self.release.wait()
        return await super().handle(request)


async def test_sigterm_finishes_deliveries_in_flight_and_starts_no_new_one(db, tmp_path):
    # given more endpoints than the worker sends to at once, each with one event due
    receiver = HeldReceiver()
    await receiver.start()
    endpoints = [
        (await endpoint_to(receiver.url, ["test.shutdown"])).id for _ in range(CONCURRENCY + 2)
    ]
    await record_event("test.shutdown", None, {"n": 1})
    head = await sequence_pending()
    worker = Worker(
        db,
        tmp_path,
        "worker",
        env={
            "GATEHOUSE_SECRET_KEY": os.environ["GATEHOUSE_SECRET_KEY"],
            "GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS": "true",
            "GATEHOUSE_EVENT_POLL_SECONDS": "0.2",
            "GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS": "30",
        },
    )
    try:
        # when SIGTERM arrives while the worker waits on its first deliveries
        async def in_flight() -> bool:
            return receiver.arrived == CONCURRENCY

        async def stopping() -> bool:
            return "Delivery worker stopping." in worker.output()

        await eventually(in_flight, timeout=60)
        worker.proc.terminate()
        await eventually(stopping, timeout=30)
        receiver.release.set()
        code = await asyncio.to_thread(worker.proc.wait, 30)
    finally:
        receiver.release.set()
        worker.stop()
        await receiver.stop()

    # then it exits cleanly after recording those deliveries, and started no other
    assert code == 0, worker.logs()
    assert "Delivery worker stopped." in worker.output()
    assert receiver.arrived == CONCURRENCY
    assert len(receiver.received) == CONCURRENCY
    delivered = await Delivery.filter(succeeded=True).values_list("target_id", flat=True)
    assert len(delivered) == CONCURRENCY
    cursors = dict(await WebhookEndpoint.filter(id__in=endpoints).values_list("id", "cursor"))
    assert {cursors[t] for t in delivered} == {head}
    assert sorted(c for c in cursors.values() if c != head) == [0, 0]
