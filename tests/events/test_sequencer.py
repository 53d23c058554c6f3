from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from gatehouse.events import record_event, retention
from gatehouse.events.hub import read_outbox
from gatehouse.events.sequencer import sequence_pending
from gatehouse.models import Event
from gatehouse.resolvers.errors import DomainError, ErrorCode
from gatehouse.resolvers.events.reading import decode_event_cursor, encode_event_cursor


def _is_postgres() -> bool:
    return Tortoise.get_connection("default").capabilities.dialect == "postgres"


async def test_a_late_committing_event_is_not_skipped_by_a_cursor_reader(db):
    if not _is_postgres():
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so commits cannot interleave")
    # given writer 1 takes the earlier id and holds its transaction open
    holding, release = asyncio.Event(), asyncio.Event()

    async def slow_writer() -> None:
        async with in_transaction():
            await record_event("test.slow", "org_a", {"n": 1})
            holding.set()
            await release.wait()

    slow = asyncio.create_task(slow_writer())
    await holding.wait()
    # and writer 2 takes a later id and commits first
    async with in_transaction():
        fast = await record_event("test.fast", "org_a", {"n": 2})
    await sequence_pending()

    # when a reader reads up to the head, then writer 1 commits
    seen, cursor = await read_outbox(0, None, None, 100, known_head=0)
    assert [e.type for e in seen] == ["test.fast"]
    release.set()
    await slow
    await sequence_pending()
    later, _ = await read_outbox(cursor, None, None, 100, known_head=0)

    # then the reader gets the late event next: not skipped, though its id sorts first
    assert [e.type for e in later] == ["test.slow"]
    assert later[0].id < fast.id
    # (a reader paging by id from `fast.id` would have skipped it)
    assert not await Event.filter(id__gt=fast.id, type="test.slow").exists()


async def test_concurrent_writers_and_sequencers_give_dense_unique_positions(db):
    async def writer(n: int) -> None:
        for i in range(10):
            async with in_transaction():
                await record_event("test.bulk", f"org_{n % 2}", {"i": i})
            await sequence_pending()

    await asyncio.gather(*(writer(n) for n in range(4)))
    await sequence_pending()

    rows = await Event.all().order_by("position")
    assert [e.position for e in rows] == list(range(1, 41))
    for org in ("org_0", "org_1"):
        seqs = [e.organization_sequence for e in rows if e.organization_id == org]
        assert seqs == list(range(1, 21))


async def test_unsequenced_events_are_invisible_to_readers(db):
    await record_event("test.pending", "org_a", {})
    assert (await read_outbox(0, None, None, 10, known_head=0))[0] == []
    await sequence_pending()
    assert len((await read_outbox(0, None, None, 10, known_head=0))[0]) == 1


async def test_a_cursor_past_retention_is_reported_expired(db, monkeypatch):
    # given five events, the first three of which fall out of retention
    for i in range(5):
        await record_event("test.old", "org_a", {"i": i})
    await sequence_pending()
    cursor = encode_event_cursor(1)
    monkeypatch.setattr(retention, "now", lambda: datetime.now(UTC) + timedelta(days=31))
    await Event.filter(position__gte=4).update(occurred_at=datetime.now(UTC) + timedelta(days=2))

    # when retention runs
    deleted = await retention.prune_events(30)

    # then an old cursor is refused with CURSOR_EXPIRED, a current one still works
    assert deleted == 3
    with pytest.raises(DomainError) as e:
        await decode_event_cursor(cursor)
    assert e.value.errors[0].code is ErrorCode.CURSOR_EXPIRED
    assert await decode_event_cursor(encode_event_cursor(3)) == 3
    # and numbering continues after a prune
    await record_event("test.new", "org_a", {})
    await sequence_pending()
    newest = await Event.get(type="test.new")
    assert (newest.position, newest.organization_sequence) == (6, 6)
