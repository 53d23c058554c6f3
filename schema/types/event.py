"""Events from the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.resolvers.pagination import Page
from gatehouse.schema.types.common import PageInfo
from gatehouse.schema.types.pagination import page_parts


@strawberry.type(description="Something that happened, as recorded with the change itself.")
class Event:
    id: strawberry.ID = strawberry.field(description="`evt_…`; also the resume cursor.")
    type: str = strawberry.field(description="Dotted name, e.g. `organization.created`.")
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization it concerns, if any."
    )
    occurred_at: datetime = strawberry.field(description="Commit time (UTC).")
    data: JSON = strawberry.field(description="The event's payload (never a secret).")

    @classmethod
    def from_model(cls, event: models.Event) -> Event:
        return cls(
            id=strawberry.ID(event.id),
            type=event.type,
            organization_id=strawberry.ID(event.organization_id) if event.organization_id else None,
            occurred_at=event.occurred_at,
            data=event.data,
        )


@strawberry.type(description="An edge in an event list.")
class EventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this event.")
    node: Event = strawberry.field(description="The event.")


@strawberry.type(description="A page of events, oldest first.")
class EventPage:
    edges: list[EventEdge] = strawberry.field(description="Events on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> EventPage:
        edges, info = page_parts(page, Event.from_model)
        return cls(
            edges=[EventEdge(cursor=c, node=n) for c, n in edges], page_info=info, _page=page
        )

    @strawberry.field(description="Events matching the filters, across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()
