from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from tortoise import Tortoise

from gatehouse.events import record_event
from gatehouse.events.bus import LocalBus
from gatehouse.events.sender import parse_retry_after
from gatehouse.events.sequencer import sequence_pending
from gatehouse.events.worker import DeliveryWorker, backoff
from gatehouse.models import Delivery
from tests.events.conftest import endpoint_to, event_settings


async def test_two_workers_never_deliver_an_event_twice_to_an_endpoint(db, receiver):
    if Tortoise.get_connection("default").capabilities.dialect != "postgres":
        pytest.skip(
            "needs PostgreSQL: row claims use FOR UPDATE SKIP LOCKED; SQLite runs one worker"
        )
    # given three endpoints and thirty events
    settings = event_settings(db)
    endpoints = [(await endpoint_to(receiver.url, ["test.work"])).id for _ in range(3)]
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
    assert parse_retry_after("000000000000000120") == timedelta(seconds=120)
    assert parse_retry_after("soon") is None
    # a receiver's hostile numbers: once an OverflowError or a ValueError that failed the pass
    assert parse_retry_after("9" * 40) == timedelta(days=7)
    assert parse_retry_after("9" * 5000) == timedelta(days=7)
    assert parse_retry_after("\u00b2") is None


async def test_retry_after_is_honoured_and_three_days_of_failure_mark_the_endpoint_failing(
    db, receiver, monkeypatch
):
    # given an endpoint whose receiver answers 503 with Retry-After: 3600
    from gatehouse.events import clock
    from gatehouse.models import Event, TargetState, WebhookEndpoint

    receiver.status = 503
    receiver.headers = {"retry-after": "3600"}
    endpoint = await endpoint_to(receiver.url)
    await sequence_pending()
    worker = DeliveryWorker(event_settings(db), LocalBus())
    try:
        # when it is tried once
        assert await worker.run_once()
        await endpoint.refresh_from_db()
        # then the next attempt waits for the Retry-After, and nothing is tried before
        assert endpoint.next_attempt_at is not None
        assert endpoint.failing_since is not None
        assert endpoint.next_attempt_at - endpoint.failing_since >= timedelta(seconds=3600)
        assert not await worker.run_once()

        # when three days pass and it still fails
        later = endpoint.failing_since + timedelta(days=3, minutes=1)
        monkeypatch.setattr(clock, "now", lambda: later)
        assert await worker.run_once()
        await endpoint.refresh_from_db()
        # then it is marked FAILING and an event says so (and it is still retried)
        assert endpoint.state is TargetState.FAILING
        assert await Event.filter(type="webhook_endpoint.failing").exists()

        # when the receiver recovers, the endpoint is ACTIVE again
        receiver.status = 200
        monkeypatch.setattr(clock, "now", lambda: later + timedelta(days=1))
        assert await worker.run_once()
        await endpoint.refresh_from_db()
        assert endpoint.state is TargetState.ACTIVE
        assert (await WebhookEndpoint.get(id=endpoint.id)).attempts == 0
    finally:
        await worker.client.aclose()
