"""Deliveries: each attempt to send events to a webhook endpoint or a log stream."""

from __future__ import annotations

from gatehouse.auth.principal import Principal
from gatehouse.models import Delivery, LogStream, WebhookEndpoint
from gatehouse.resolvers.errors import not_found
from gatehouse.resolvers.events.log_streams import get_log_stream
from gatehouse.resolvers.events.webhooks import get_webhook_endpoint
from gatehouse.resolvers.pagination import Page, paginate


async def list_deliveries(
    principal: Principal, target_id: str, first: int | None, after: str | None
) -> Page[Delivery]:
    """Attempts for one endpoint or log stream, oldest first."""
    target: WebhookEndpoint | LogStream | None
    if target_id.startswith("ls_"):
        target = await get_log_stream(principal, target_id)
    else:
        target = await get_webhook_endpoint(principal, target_id)
    if target is None:
        raise not_found("Delivery target", "id")
    return await paginate(Delivery.filter(target_id=target_id), first, after)
