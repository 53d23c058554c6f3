"""Events from the outbox."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.models.acting import ActorKind as ActorKindModel
from gatehouse.resolvers.events.reading import EventPage as EventPageResult
from gatehouse.resolvers.events.reading import encode_event_cursor
from gatehouse.schema.types.common import Node, PageInfo

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    ActorKindModel,
    name="ActorKind",
    description="What kind of caller made a change: an API key (the operator's or an "
    "organization's), a signed-in member, an Admin Portal session, a SCIM directory, an SSO "
    "connection (an IdP's assertion), or Gatehouse itself (background work, anonymous pages).",
)
ActorKind = ActorKindModel


@strawberry.type(description="Who made a change.")
class EventActor:
    kind: ActorKind = strawberry.field(description="What kind of caller.")
    id: strawberry.ID | None = strawberry.field(
        description="The key (`key_…`), member (`om_…`), portal session (`psess_…`), directory "
        "(`dir_…`) or connection (`conn_…`); null for SYSTEM."
    )

    @classmethod
    def from_json(cls, data: dict[str, object] | None) -> EventActor:
        data = data or {}
        kind = data.get("kind")
        actor_id = data.get("id")
        return cls(
            kind=ActorKind(kind) if isinstance(kind, str) else ActorKind.SYSTEM,
            id=strawberry.ID(actor_id) if isinstance(actor_id, str) else None,
        )


@strawberry.type(description="The request a change came in, when it came in one.")
class EventContext:
    request_id: str | None = strawberry.field(description="`req_…`, as in X-Request-Id.")
    ip_address: str | None = strawberry.field(description="The client's address.")
    user_agent: str | None = strawberry.field(description="The client's User-Agent.")


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
    actor: EventActor = strawberry.field(description="Who made the change.")
    context: EventContext | None = strawberry.field(
        description="The request it came in; null for background work."
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
            actor=EventActor.from_json(event.actor),
            context=EventContext(
                request_id=event.context.get("request_id"),
                ip_address=event.context.get("ip_address"),
                user_agent=event.context.get("user_agent"),
            )
            if event.context
            else None,
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
