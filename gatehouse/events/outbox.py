"""The one way to record an event.

Callers invoke `record_event` (or `record_events`) inside the transaction that makes the
change, so the event row commits or rolls back with it: no event for a change that did not
happen, no change without its event.

Inside `one_insert()` (a SCIM request) the events are stamped when recorded but written when
the block ends, still inside the transaction, together with their audit entries, their
membership periods and the rows the request queued (models/batch.py): on PostgreSQL one
statement for all of them, instead of one per row and table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from tortoise.models import Model

from gatehouse.models import batch
from gatehouse.models.audit_trail import audit_rows, holding_members, note_held
from gatehouse.models.event import Event, before_insert

_pending: ContextVar[list[Event] | None] = ContextVar("gatehouse_pending_events", default=None)


async def record_events(events: Iterable[Event]) -> None:
    """Record events, in order; deferred to the end of `one_insert()` inside one."""
    rows = list(events)
    if not rows:
        return
    for row in rows:
        row.stamp()  # actor, context and time of now, not of a deferred insert
    note_held(rows)
    pending = _pending.get()
    if pending is None:
        await Event.bulk_create(rows, batch_size=500)
        return
    pending.extend(rows)


async def record_event(type: str, organization_id: str | None, data: dict[str, Any]) -> Event:
    event = Event(type=type, organization_id=organization_id, data=data)
    await record_events([event])
    return event


@asynccontextmanager
async def one_insert() -> AsyncIterator[None]:
    """Events recorded and rows queued (`batch.create`) in the block are written when it ends
    without an error (an error rolls the transaction back: they are dropped with it). Must run
    inside the transaction."""
    pending: list[Event] = []
    token = _pending.set(pending)
    try:
        with holding_members(), batch.deferring():
            yield
            _pending.set(None)
            rows: list[Model] = []
            if pending:
                before_insert(pending)
                # Read before anything is inserted: a member queued above is one the writer
                # holds as fresh (hold_member), so no period read needs its row.
                rows = [*pending, *await audit_rows(pending)]
            await batch.flush(rows)
    finally:
        _pending.reset(token)
