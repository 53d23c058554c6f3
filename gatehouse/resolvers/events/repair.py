"""Listing delivery targets and repairing delivery: update an endpoint (and re-enable it),
retry a failed delivery now, replay events after a cursor.

Delivery is by cursor (events/worker.py): each target receives its events in order, and a
failed event blocks the ones after it. So a retry is "try the blocked event again now" (the
backoff is cleared), and a replay moves the target's cursor back so every matching event after
it is sent again. Each change records an event in its transaction; the commit wakes every
process's worker through the bus.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.events.sequencer import head_position
from gatehouse.models import Delivery, Event, LogStream, TargetState, WebhookEndpoint
from gatehouse.resolvers.access import require
from gatehouse.resolvers.errors import DomainError, ErrorCode, Validator, not_found
from gatehouse.resolvers.events.log_streams import get_log_stream
from gatehouse.resolvers.events.reading import decode_event_cursor
from gatehouse.resolvers.events.targets import check_target_url
from gatehouse.resolvers.events.webhooks import (
    check_event_types,
    endpoint_data,
    endpoint_for_change,
    get_webhook_endpoint,
)
from gatehouse.resolvers.organizations import UNSET
from gatehouse.resolvers.pagination import Page, empty, paginate
from gatehouse.resolvers.validation import check_id


async def list_webhook_endpoints(
    principal: Principal, organization_id: str | None, first: int | None, after: str | None
) -> Page[WebhookEndpoint]:
    """Operators see every endpoint (or one organization's); scoped callers only their own.
    Never a secret: the type has no field for it."""
    require(principal, Permission.WEBHOOKS_WRITE)
    query = WebhookEndpoint.all()
    if principal.organization_id is not None:
        if organization_id not in (None, principal.organization_id):
            return await paginate(empty(query), first, after)
        query = query.filter(organization_id=principal.organization_id)
    elif organization_id is not None:
        query = query.filter(organization_id=organization_id)
    return await paginate(query, first, after)


def _reset(target: WebhookEndpoint | LogStream) -> None:
    target.attempts = 0
    target.next_attempt_at = None
    target.failing_since = None
    target.state = TargetState.ACTIVE


async def update_webhook_endpoint(
    principal: Principal,
    endpoint_id: str,
    *,
    url: Any = UNSET,
    event_types: Any = UNSET,
    enabled: Any = UNSET,
    allow_private: bool,
) -> WebhookEndpoint:
    """Change the URL or the event types, or re-enable (`enabled: true`) an endpoint that was
    disabled (410) or marked failing: it starts again with the event it was blocked on."""
    require(principal, Permission.WEBHOOKS_WRITE)
    check_id(endpoint_id, "whe", "webhook endpoint", "webhookEndpointId")
    v = Validator()
    if url is not UNSET:
        if url is None:
            v.add(ErrorCode.REQUIRED, "An endpoint needs a URL.", "url")
        else:
            url = await check_target_url(v, url, allow_private)
    types = check_event_types(v, event_types or []) if event_types is not UNSET else None
    if enabled is None:
        v.add(ErrorCode.REQUIRED, "`enabled` is true or false.", "enabled")
    v.check()
    async with in_transaction():
        endpoint = await endpoint_for_change(principal, endpoint_id)
        if url is not UNSET:
            endpoint.url = url
        if types is not None:
            endpoint.event_types = types
        if enabled is True:
            _reset(endpoint)
        elif enabled is False:
            endpoint.state = TargetState.DISABLED
        await endpoint.save()
        await record_event(
            "webhook_endpoint.updated",
            endpoint.organization_id,
            {**endpoint_data(endpoint), "state": endpoint.state.value},
        )
    return endpoint


async def replay_events(principal: Principal, endpoint_id: str, after: str) -> WebhookEndpoint:
    """Send again every matching event after `after` (an event cursor), in order."""
    require(principal, Permission.WEBHOOKS_WRITE)
    check_id(endpoint_id, "whe", "webhook endpoint", "webhookEndpointId")
    position = await decode_event_cursor(after)
    if position > await head_position():
        raise DomainError.of(ErrorCode.INVALID_CURSOR, "No event has this cursor yet.", "after")
    async with in_transaction():
        endpoint = await endpoint_for_change(principal, endpoint_id)
        if endpoint.state is TargetState.DISABLED:
            raise DomainError.of(
                ErrorCode.TARGET_DISABLED,
                "The endpoint is disabled; re-enable it with updateWebhookEndpoint first.",
                "endpointId",
            )
        endpoint.cursor = position
        endpoint.attempts = 0
        endpoint.next_attempt_at = None
        await endpoint.save()
        await record_event(
            "webhook_endpoint.replay_started",
            endpoint.organization_id,
            {**endpoint_data(endpoint), "after_position": position},
        )
    return endpoint


async def get_delivery(principal: Principal, delivery_id: str) -> Delivery | None:
    """A delivery attempt, visible to whoever may see its target."""
    if not principal.is_authenticated:
        require(principal, Permission.WEBHOOKS_WRITE)  # raises AuthenticationRequired
    delivery = await Delivery.get_or_none(id=delivery_id)
    if delivery is None:
        return None
    target = await _target(principal, delivery.target_id)
    return delivery if target is not None else None


async def _target(principal: Principal, target_id: str) -> WebhookEndpoint | LogStream | None:
    if target_id.startswith("ls_"):
        if not principal.can(Permission.LOG_STREAMS_WRITE):
            return None
        return await get_log_stream(principal, target_id)
    if not principal.can(Permission.WEBHOOKS_WRITE):
        return None
    return await get_webhook_endpoint(principal, target_id)


async def retry_delivery(
    principal: Principal, delivery_id: str
) -> tuple[Delivery, WebhookEndpoint | LogStream]:
    """Try the event of a failed delivery again now, instead of after its backoff."""
    check_id(delivery_id, "dlv", "delivery", "deliveryId")
    delivery = await get_delivery(principal, delivery_id)
    if delivery is None:
        raise not_found("Delivery", "deliveryId")
    model: type[WebhookEndpoint | LogStream] = (
        LogStream if delivery.target_id.startswith("ls_") else WebhookEndpoint
    )
    async with in_transaction():
        target = await model.filter(id=delivery.target_id).select_for_update().first()
        if target is None:
            raise not_found("Delivery", "deliveryId")
        if delivery.succeeded or target.cursor >= delivery.event_position:
            raise DomainError.of(
                ErrorCode.ALREADY_DELIVERED,
                "This event was delivered since; replayEvents sends it again.",
                "deliveryId",
            )
        if target.state is TargetState.DISABLED:
            raise DomainError.of(
                ErrorCode.TARGET_DISABLED,
                "The target is disabled; re-enable it first.",
                "deliveryId",
            )
        target.next_attempt_at = None
        await target.save(update_fields=["next_attempt_at", "updated_at"])
        kind = "log_stream" if isinstance(target, LogStream) else "webhook_endpoint"
        await record_event(
            f"{kind}.retry_requested",
            target.organization_id,
            {"id": target.id, "delivery_id": delivery.id, "event_id": delivery.event_id},
        )
    return delivery, target


async def get_event(principal: Principal, event_id: str) -> Event | None:
    """An event by id (`node`); scoped callers see only their organization's."""
    require(principal, Permission.EVENTS_READ)
    event = await Event.get_or_none(id=event_id)
    if event is None or event.position is None:
        return None
    if principal.organization_id is not None and event.organization_id != principal.organization_id:
        return None
    return event
