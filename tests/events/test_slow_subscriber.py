from __future__ import annotations

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.events import record_event
from gatehouse.events.bus import LocalBus
from gatehouse.events.hub import Hub
from gatehouse.events.sequencer import sequence_pending
from gatehouse.models import Event
from gatehouse.resolvers.events import (
    SubscriberTooSlow,
    decode_event_cursor,
    encode_event_cursor,
    subscribe_events,
)


async def test_a_subscriber_that_falls_out_of_the_window_gets_its_resume_cursor(db):
    # given a hub that keeps 5 events in memory and a live subscriber that read one event
    hub = Hub(LocalBus(), poll_seconds=0.05, window=5)
    await hub.start()
    try:
        await record_event("test.e", "org_a", {"i": 0})
        await sequence_pending()
        await hub._load()
        principal = operator_principal()

        async def still_valid():
            return principal

        stream = subscribe_events(
            principal,
            hub,
            None,
            None,
            encode_event_cursor(0),
            reauthenticate=still_valid,
            recheck_seconds=60,
        )
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
    finally:
        await hub.stop()
