from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from tortoise import Tortoise

from gatehouse.auth.principal import operator_principal
from gatehouse.events import record_event
from gatehouse.events.bus import LocalBus
from gatehouse.events.sequencer import sequence_pending
from gatehouse.events.worker import DeliveryWorker, backoff, parse_retry_after
from gatehouse.models import Delivery
from gatehouse.resolvers import webhooks
from tests.events.conftest import event_settings


async def test_two_workers_never_deliver_an_event_twice_to_an_endpoint(db, receiver):
    if Tortoise.get_connection("default").capabilities.dialect != "postgres":
        pytest.skip(
            "needs PostgreSQL: row claims use FOR UPDATE SKIP LOCKED; SQLite runs one worker"
        )
    # given three endpoints and thirty events
    settings = event_settings(db)
    endpoints = [
        (
            await webhooks.create_webhook_endpoint(
                operator_principal(), receiver.url, ["test.work"], None, allow_private=True
            )
        )[0].id
        for _ in range(3)
    ]
    for i in range(30):
        await record_event("test.work", None, {"i": i})
    await sequence_pending()

    # when two workers (each with its own state, as two processes would) drain them at once
    workers = [DeliveryWorker(settings, LocalBus()) for _ in range(2)]

    async def drain(worker: DeliveryWorker) -> None:
        while await worker.run_once():
            pass

    try:
        for _ in range(3):  # until both find nothing left
            await asyncio.gather(*(drain(w) for w in workers))
    finally:
        for w in workers:
            await w.client.aclose()

    # then each endpoint got each event exactly once, in order
    ids = Counter(h["webhook-id"] for h, _ in receiver.received)
    assert len(ids) == 30
    assert set(ids.values()) == {3}
    for endpoint_id in endpoints:
        sent = await Delivery.filter(target_id=endpoint_id).order_by("event_position")
        assert [d.event_position for d in sent] == sorted({d.event_position for d in sent})
        assert len(sent) == 30


def test_backoff_grows_with_jitter_and_honours_retry_after():
    first = backoff(1, 5.0, None)
    assert timedelta(seconds=2.5) <= first <= timedelta(seconds=5)
    assert backoff(30, 5.0, None) <= timedelta(hours=1)
    assert backoff(1, 5.0, timedelta(seconds=120)) >= timedelta(seconds=120)
    assert backoff(1, 5.0, timedelta(days=9)) <= timedelta(days=1)
    assert parse_retry_after("120") == timedelta(seconds=120)
    assert parse_retry_after("soon") is None
