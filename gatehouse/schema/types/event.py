"""Events from the outbox."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.resolvers.events.reading import EventPage as EventPageResult
from gatehouse.resolvers.events.reading import encode_event_cursor
from gatehouse.schema.types.common import Node, PageInfo


@strawberry.type(description="Something that happened, as recorded with the change itself.")
class Event(Node):
    id: strawberry.ID = strawberry.field(
        description="`evt_…`; unique, use it to deduplicate. `node(id:)` finds it (`events:read`)."
    )
    type: str = strawberry.field(description="Dotted name, e.g. `organization.created`.")
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization it concerns, if any."
    )
    occurred_at: datetime = strawberry.field(description="When the change was made (UTC).")
    data: JSON = strawberry.field(description="The event's payload (never a secret).")
    cursor: str = strawberry.field(
        description="Commit-ordered resume point: pass as `after` to the `events` query or "
        "subscription to continue after this event."
    )
    sequence: int | None = strawberry.field(
        description="1, 2, 3… within the organization, in commit order; null for events "
        "that concern no organization."
    )

    @classmethod
    def from_model(cls, event: models.Event) -> Event:
        return cls(
            id=strawberry.ID(event.id),
            type=event.type,
            organization_id=strawberry.ID(event.organization_id) if event.organization_id else None,
            occurred_at=event.occurred_at,
            data=JSON(event.data),
            cursor=encode_event_cursor(event.position or 0),
            sequence=event.organization_sequence,
        )


@strawberry.type(description="An edge in an event list.")
class EventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this event.")
    node: Event = strawberry.field(description="The event.")


@strawberry.type(description="A page of events in commit order, oldest first.")
class EventPage:
    edges: list[EventEdge] = strawberry.field(description="Events on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[EventPageResult]

    @classmethod
    def from_page(cls, page: EventPageResult) -> EventPage:
        nodes = [Event.from_model(e) for e in page.items]
        edges = [EventEdge(cursor=n.cursor, node=n) for n in nodes]
        info = PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return cls(edges=edges, page_info=info, _page=page)

    @strawberry.field(description="Events matching the filters, across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()
