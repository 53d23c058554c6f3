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
    await hub._load()
    stream = operator_stream(hub)
    first = await anext(stream)
    assert first.position == 1

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
