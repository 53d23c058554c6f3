"""How far each consumer of the outbox is behind its head, for `gatehouse_event_lag_events`.

Consumers are kinds, not individual targets, so the label set stays bounded with thousands of
organizations: `webhooks` and `log_streams` report their furthest-behind enabled target,
`subscriptions` this process's hub (what its live subscribers can see), and `sequencer` the
events committed but not yet given a position.
"""

from __future__ import annotations

from gatehouse.events.hub import Hub
from gatehouse.events.sequencer import head_position
from gatehouse.models import Event, LogStream, TargetState, WebhookEndpoint


async def event_lag(hub: Hub | None) -> dict[str, int]:
    head = await head_position()
    lag = {"sequencer": await Event.filter(position__isnull=True).count()}
    for consumer, model in (("webhooks", WebhookEndpoint), ("log_streams", LogStream)):
        oldest = model.exclude(state=TargetState.DISABLED).order_by("cursor").first()
        behind: int | None = await oldest.values_list("cursor", flat=True)  # type: ignore[assignment]  # Tortoise types a flat first() value as a tuple
        lag[consumer] = max(0, head - behind) if behind is not None else 0
    if hub is not None:
        # A hub with no readers stops following (hub.py): nothing of this process lags.
        lag["subscriptions"] = max(0, head - hub.head) if hub.readers else 0
    return lag
