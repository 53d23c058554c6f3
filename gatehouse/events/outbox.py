"""The one way to record an event.

Callers invoke `record_event` inside the transaction that makes the change, so the event row
commits or rolls back with it: no event for a change that did not happen, no change without
its event.
"""

from __future__ import annotations

from typing import Any

from gatehouse.models.event import Event


async def record_event(type: str, organization_id: str | None, data: dict[str, Any]) -> Event:
    return await Event.create(type=type, organization_id=organization_id, data=data)
