"""Webhook endpoints, log streams and their delivery attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gatehouse import models
from gatehouse.resolvers.events import deliveries
from gatehouse.resolvers.pagination import Page
from gatehouse.schema.context import Info
from gatehouse.schema.errors import query
from gatehouse.schema.types.common import After, First, Node, PageInfo
from gatehouse.schema.types.pagination import page_parts

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    models.TargetState,
    name="DeliveryTargetState",
    description="ACTIVE; FAILING: three days without a successful delivery (still retried "
    "hourly); DISABLED: the receiver answered 410 Gone.",
)
TargetState = models.TargetState
# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    models.LogStreamType,
    name="LogStreamType",
    description="HTTPS: JSON lines; DATADOG: logs intake; SPLUNK_HEC: HTTP Event Collector.",
)
LogStreamType = models.LogStreamType


@strawberry.type(description="One attempt to deliver one event.")
class Delivery(Node):
    event_id: strawberry.ID = strawberry.field(description="The event (`evt_…`).")
    succeeded: bool = strawberry.field(description="The receiver answered 2xx.")
    attempt: int = strawberry.field(description="1 for the first try of this event, then 2, 3…")
    response_status: int | None = strawberry.field(description="HTTP status, if one came back.")
    error: str | None = strawberry.field(description="Why it failed, when no status explains it.")
    created_at: datetime = strawberry.field(description="When the attempt was made (UTC).")

    @classmethod
    def from_model(cls, d: models.Delivery) -> Delivery:
        return cls(
            id=strawberry.ID(d.id),
            event_id=strawberry.ID(d.event_id),
            succeeded=d.succeeded,
            attempt=d.attempt,
            response_status=d.response_status,
            error=d.error,
            created_at=d.created_at,
        )


@strawberry.type(description="An edge in a delivery list.")
class DeliveryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this attempt.")
    node: Delivery = strawberry.field(description="The attempt.")


@strawberry.type(description="A page of delivery attempts, oldest first.")
class DeliveryPage:
    edges: list[DeliveryEdge] = strawberry.field(description="Attempts on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> DeliveryPage:
        edges, info = page_parts(page, Delivery.from_model)
        return cls(
            edges=[DeliveryEdge(cursor=c, node=n) for c, n in edges], page_info=info, _page=page
        )

    @strawberry.field(description="Attempts across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()


@strawberry.interface(description="Where events are delivered, in order, at least once.")
class DeliveryTarget(Node):
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization whose events it receives; null: every organization."
    )
    url: str = strawberry.field(description="Where requests are POSTed.")
    state: TargetState = strawberry.field(description="Delivery health.")
    created_at: datetime = strawberry.field(description="Creation time (UTC).")

    @strawberry.field(description="Delivery attempts, oldest first. Same permission as the target.")
    async def deliveries(
        self, info: Info, first: First = None, after: After = None
    ) -> DeliveryPage:
        page = await query(
            deliveries.list_deliveries(info.context.principal, str(self.id), first, after)
        )
        return DeliveryPage.from_page(page)


@strawberry.type(description="A webhook endpoint. Requires `webhooks:write`.")
class WebhookEndpoint(DeliveryTarget):
    event_types: list[str] = strawberry.field(description="Types it receives; empty: all.")

    @classmethod
    def from_model(cls, e: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(e.id),
            organization_id=strawberry.ID(e.organization_id) if e.organization_id else None,
            url=e.url,
            state=e.state,
            created_at=e.created_at,
            event_types=list(e.event_types),
        )


@strawberry.type(description="A log stream to a SIEM. Requires `log_streams:write`.")
class LogStream(DeliveryTarget):
    type: LogStreamType = strawberry.field(description="Destination format.")

    @classmethod
    def from_model(cls, s: models.LogStream) -> LogStream:
        return cls(
            id=strawberry.ID(s.id),
            organization_id=strawberry.ID(s.organization_id) if s.organization_id else None,
            url=s.url,
            state=s.state,
            created_at=s.created_at,
            type=s.type,
        )


@strawberry.type(description="An edge in a webhook endpoint list.")
class WebhookEndpointEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this endpoint.")
    node: WebhookEndpoint = strawberry.field(description="The endpoint.")


@strawberry.type(description="A page of webhook endpoints, oldest first. Never their secrets.")
class WebhookEndpointPage:
    edges: list[WebhookEndpointEdge] = strawberry.field(description="Endpoints on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    _page: strawberry.Private[Page[Any]]

    @classmethod
    def from_page(cls, page: Page[Any]) -> WebhookEndpointPage:
        edges, info = page_parts(page, WebhookEndpoint.from_model)
        return cls(
            edges=[WebhookEndpointEdge(cursor=c, node=n) for c, n in edges],
            page_info=info,
            _page=page,
        )

    @strawberry.field(description="Endpoints across all pages.")
    async def total_count(self) -> int:
        return await self._page.total_count()
