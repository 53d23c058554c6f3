from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.events import record_event
from gatehouse.events.bus import LocalBus
from gatehouse.events.hub import Hub
from gatehouse.events.sequencer import sequence_pending
from gatehouse.models import Event
from gatehouse.resolvers.events import reading
from gatehouse.resolvers.events.reading import (
    ServerShuttingDown,
    SubscriberTooSlow,
    decode_event_cursor,
    encode_event_cursor,
    subscribe_events,
)


def operator_stream(hub: Hub) -> AsyncIterator[Event]:
    """An operator's subscription from the first event, on `hub`."""
    principal = operator_principal()

    async def still_valid():
        return principal

    return subscribe_events(
        principal,
        hub,
        None,
        None,
        encode_event_cursor(0),
        reauthenticate=still_valid,
        recheck_seconds=60,
    )


async def test_a_subscriber_that_falls_out_of_the_window_gets_its_resume_cursor(db):
    # given a hub that keeps 5 events in memory and a live subscriber that read one event
    hub = Hub(LocalBus(), poll_seconds=0.05, window=5)
    await hub.prime()
    await record_event("test.e", "org_a", {"i": 0})
    await sequence_pending()
    stream = operator_stream(hub)
    first = await anext(stream)
    assert first.position == 1
    await hub._load()

    # when 20 more events pass while it does not read
    for i in range(1, 21):
        await record_event("test.e", "org_a", {"i": i})
    await sequence_pending()
    await hub._load()

    # then it is disconnected with a cursor that resumes right after what it saw
    with pytest.raises(SubscriberTooSlow) as e:
        await anext(stream)
    assert await decode_event_cursor(e.value.cursor) == 1
    assert await Event.filter(position__gt=1).count() == 20  # nothing was dropped


async def test_shutdown_ends_live_subscribers_with_their_resume_cursor(db):
    # given a live subscriber that has read two events and waits for more
    hub = Hub(LocalBus(), poll_seconds=0.05)
    await hub.prime()
    for i in range(2):
        await record_event("test.e", "org_a", {"i": i})
    await sequence_pending()
    stream = operator_stream(hub)
    seen = [(await anext(stream)).position for _ in range(2)]
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    assert hub.readers == 1

    # when the process shuts down (and an event commits as it does)
    closing = asyncio.ensure_future(hub.close_subscriptions())
    await record_event("test.e", "org_a", {"i": 2})
    await sequence_pending()

    # then the subscriber ends with a cursor right after what it saw (the new event is for
    # its reconnect), and closing waited for it
    with pytest.raises(ServerShuttingDown) as e:
        await waiting
    await closing
    assert seen == [1, 2]
    assert await decode_event_cursor(e.value.cursor) == 2
    assert hub.readers == 0


async def test_a_hub_nobody_reads_from_reads_nothing(db, count_queries):
    # given a process with no subscriber, and events committing
    hub = Hub(LocalBus(), poll_seconds=0.05, window=5)
    await hub.prime()
    for i in range(3):
        await record_event("test.e", "org_a", {"i": i})
    await sequence_pending()

    # when its hub is woken, then it sends no query and knows it is behind
    with count_queries() as counter:
        await hub._load()
    assert counter.statements == []
    assert hub.behind


async def test_a_subscriber_joining_a_hub_that_was_behind_misses_nothing(db, monkeypatch):
    # given a hub with a window of 5 that skipped 12 events while nobody read (more than its
    # window), 2 of them before the subscriber's cursor; replays read 2 events at a time
    monkeypatch.setattr(reading, "REPLAY_BATCH", 2)
    hub = Hub(LocalBus(), poll_seconds=0.05, window=5)
    await hub.prime()
    for i in range(12):
        await record_event("test.e", "org_a", {"i": i})
    await sequence_pending()
    await hub._load()
    assert hub.behind
    assert hub.head == 0

    # when a subscriber joins after position 2, the hub catches up, and 3 more events commit
    stream = subscribe_events(
        operator_principal(),
        hub,
        None,
        None,
        encode_event_cursor(2),
        reauthenticate=lambda: asyncio.sleep(0, operator_principal()),
        recheck_seconds=60,
    )
    seen = [(await anext(stream)).position]  # read while the hub is behind: from the database
    await hub._load()
    assert not hub.behind
    assert (hub.head, hub.window_start()) == (12, 8)
    # the rest of the replay (older than the window's start), then the window
    seen += [(await anext(stream)).position for _ in range(9)]
    for i in range(12, 15):
        await record_event("test.e", "org_a", {"i": i})
    await sequence_pending()
    await hub._load()
    seen += [(await anext(stream)).position for _ in range(3)]

    # then it got every event after its cursor once, in order, and was never refused as slow
    assert seen == list(range(3, 16))
