"""Webhook endpoints: created with a secret shown once, rotated, deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.events.secrets import seal
from gatehouse.events.sequencer import head_position
from gatehouse.events.signing import new_secret
from gatehouse.models import Delivery, WebhookEndpoint
from gatehouse.resolvers.access import require, visible_organization
from gatehouse.resolvers.errors import ErrorCode, Validator, not_found
from gatehouse.resolvers.events.targets import check_scope, check_target_url, target_organization
from gatehouse.resolvers.validation import check_id

MAX_EVENT_TYPES = 100
_EVENT_TYPE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._*")


def endpoint_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    # Never the secret: events are readable by the organization.
    return {"id": endpoint.id, "url": endpoint.url, "event_types": endpoint.event_types}


def check_event_types(v: Validator, event_types: list[str]) -> list[str]:
    types = sorted(set(event_types))
    if len(types) > MAX_EVENT_TYPES or any(
        not t or len(t) > 64 or not set(t) <= _EVENT_TYPE_CHARS for t in types
    ):
        v.add(
            ErrorCode.INVALID_EVENT_TYPE, "Event types are dotted lower-case names.", "eventTypes"
        )
    return types


async def create_webhook_endpoint(
    principal: Principal,
    url: str,
    event_types: list[str],
    organization_id: str | None,
    *,
    allow_private: bool,
    secret_key: str,
) -> tuple[WebhookEndpoint, str]:
    """The endpoint and its signing secret, shown this once."""
    require(principal, Permission.WEBHOOKS_WRITE)
    check_scope(principal, organization_id)
    v = Validator()
    url = await check_target_url(v, url, allow_private)
    types = check_event_types(v, event_types)
    v.check()
    async with in_transaction():
        org_id = await target_organization(principal, organization_id)
        secret = new_secret()
        # A new endpoint receives events from now on, not the whole history.
        endpoint = WebhookEndpoint(
            organization_id=org_id, url=url, event_types=types, cursor=await head_position()
        )
        endpoint.secret = seal(secret_key, secret, endpoint.id)
        await endpoint.save()
        await record_event("webhook_endpoint.created", org_id, endpoint_data(endpoint))
    return endpoint, secret


async def endpoint_for_change(principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    check_id(endpoint_id, "whe", "webhook endpoint", "webhookEndpointId")
    endpoint = await WebhookEndpoint.filter(id=endpoint_id).select_for_update().first()
    if endpoint is None or not _visible(principal, endpoint.organization_id):
        raise not_found("Webhook endpoint", "webhookEndpointId")
    return endpoint


def _visible(principal: Principal, organization_id: str | None) -> bool:
    if organization_id is None:
        return principal.organization_id is None
    return visible_organization(principal, organization_id)


async def rotate_webhook_secret(
    principal: Principal, endpoint_id: str, *, overlap: timedelta, secret_key: str
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the previous one keeps signing too until the overlap ends."""
    require(principal, Permission.WEBHOOKS_WRITE)
    async with in_transaction():
        endpoint = await endpoint_for_change(principal, endpoint_id)
        secret = new_secret()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = datetime.now(UTC) + overlap
        endpoint.secret = seal(secret_key, secret, endpoint.id)
        await endpoint.save()
        await record_event(
            "webhook_endpoint.secret_rotated", endpoint.organization_id, endpoint_data(endpoint)
        )
    return endpoint, secret


async def delete_webhook_endpoint(principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    require(principal, Permission.WEBHOOKS_WRITE)
    async with in_transaction():
        endpoint = await endpoint_for_change(principal, endpoint_id)
        await endpoint.delete()
        await Delivery.filter(target_id=endpoint_id).delete()
        await record_event(
            "webhook_endpoint.deleted", endpoint.organization_id, endpoint_data(endpoint)
        )
    return endpoint


async def get_webhook_endpoint(principal: Principal, endpoint_id: str) -> WebhookEndpoint | None:
    require(principal, Permission.WEBHOOKS_WRITE)
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id)
    if endpoint is None or not _visible(principal, endpoint.organization_id):
        return None
    return endpoint
