"""Webhook endpoint and log stream mutations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import strawberry

from gatehouse import models
from gatehouse.resolvers.events import log_streams, repair, webhooks
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.mutations.maybe import given
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.delivery import (
    Delivery,
    DeliveryTarget,
    LogStream,
    LogStreamType,
    WebhookEndpoint,
)


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="https URL; private addresses are refused.")
    event_types: list[str] = strawberry.field(
        default_factory=list, description="Event types to receive; empty: all."
    )
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only this organization's events. Scoped callers always get their own; "
        "operators may omit it to receive every organization's events.",
    )


@strawberry.input(description="The endpoint.")
class WebhookEndpointIdInput:
    webhook_endpoint_id: strawberry.ID = strawberry.field(description="A `whe_…` ID.")


@strawberry.type(description="Result of `createWebhookEndpoint` and `rotateWebhookSecret`.")
class WebhookSecretPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")
    secret: str | None = strawberry.field(
        description="The Standard Webhooks signing secret (`whsec_…`), shown this once."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `deleteWebhookEndpoint`.")
class DeleteWebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The deleted endpoint.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A new log stream.")
class CreateLogStreamInput:
    type: LogStreamType = strawberry.field(description="Destination format.")
    url: str = strawberry.field(description="Intake URL (https); private addresses are refused.")
    token: str | None = strawberry.field(
        default=None, description="Datadog API key, Splunk HEC token or bearer token."
    )
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organization; scoped callers always get their own."
    )


@strawberry.input(description="The log stream.")
class LogStreamIdInput:
    log_stream_id: strawberry.ID = strawberry.field(description="An `ls_…` ID.")


@strawberry.type(description="Result of `createLogStream` and `deleteLogStream`.")
class LogStreamPayload:
    log_stream: LogStream | None = strawberry.field(description="The log stream.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `sendTestLogEvent`.")
class SendTestLogEventPayload:
    log_stream: LogStream | None = strawberry.field(description="The log stream.")
    response_status: int | None = strawberry.field(
        description="The destination's HTTP status; null when it could not be reached."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Changes to a webhook endpoint; omitted fields stay as they are.")
class UpdateWebhookEndpointInput:
    webhook_endpoint_id: strawberry.ID = strawberry.field(description="A `whe_…` ID.")
    url: strawberry.Maybe[str] = strawberry.field(
        default=None, description="New https URL; private addresses are refused."
    )
    event_types: strawberry.Maybe[list[str]] = strawberry.field(
        default=None, description="Event types to receive; empty: all."
    )
    enabled: strawberry.Maybe[bool] = strawberry.field(
        default=None,
        description="true re-enables a DISABLED or FAILING endpoint (delivery resumes with the "
        "event it stopped at); false disables it.",
    )


@strawberry.type(description="Result of `updateWebhookEndpoint` and `replayEvents`.")
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="The failed delivery to try again now.")
class RetryDeliveryInput:
    delivery_id: strawberry.ID = strawberry.field(description="A `dlv_…` ID.")


@strawberry.type(description="Result of `retryDelivery`.")
class RetryDeliveryPayload:
    delivery: Delivery | None = strawberry.field(description="The failed attempt.")
    target: DeliveryTarget | None = strawberry.field(
        description="Its webhook endpoint or log stream, due again now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Which events to send again.")
class ReplayEventsInput:
    endpoint_id: strawberry.ID = strawberry.field(description="A `whe_…` ID.")
    after: str = strawberry.field(
        description="An event's `cursor`: every matching event after it is sent again, in order."
    )


@strawberry.type
class DeliveryMutations:
    @strawberry.mutation(description="Register a webhook endpoint. Requires `webhooks:write`.")
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            CreateWebhookEndpointInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> WebhookSecretPayload:
        result, errors = await mutate(
            webhooks.create_webhook_endpoint(
                info.context.principal,
                input.url,
                input.event_types,
                str(input.organization_id) if input.organization_id else None,
                allow_private=info.context.settings.allow_private_webhooks,
                secret_key=info.context.settings.secret_key,
            )
        )
        if result is None:
            return WebhookSecretPayload(webhook_endpoint=None, secret=None, user_errors=errors)
        endpoint, secret = result
        return WebhookSecretPayload(
            webhook_endpoint=WebhookEndpoint.from_model(endpoint), secret=secret, user_errors=[]
        )

    @strawberry.mutation(
        description="New signing secret; the old one keeps signing too during the overlap "
        "(GATEHOUSE_WEBHOOK_SECRET_OVERLAP_HOURS). Requires `webhooks:write`."
    )
    async def rotate_webhook_secret(
        self,
        info: Info,
        input: Annotated[
            WebhookEndpointIdInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> WebhookSecretPayload:
        overlap = timedelta(hours=info.context.settings.webhook_secret_overlap_hours)
        result, errors = await mutate(
            webhooks.rotate_webhook_secret(
                info.context.principal,
                str(input.webhook_endpoint_id),
                overlap=overlap,
                secret_key=info.context.settings.secret_key,
            )
        )
        if result is None:
            return WebhookSecretPayload(webhook_endpoint=None, secret=None, user_errors=errors)
        endpoint, secret = result
        return WebhookSecretPayload(
            webhook_endpoint=WebhookEndpoint.from_model(endpoint), secret=secret, user_errors=[]
        )

    @strawberry.mutation(description="Delete a webhook endpoint. Requires `webhooks:write`.")
    async def delete_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            WebhookEndpointIdInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DeleteWebhookEndpointPayload:
        endpoint, errors = await mutate(
            webhooks.delete_webhook_endpoint(info.context.principal, str(input.webhook_endpoint_id))
        )
        return DeleteWebhookEndpointPayload(
            webhook_endpoint=WebhookEndpoint.from_model(endpoint) if endpoint else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Stream an organization's events. Requires `log_streams:write`."
    )
    async def create_log_stream(
        self,
        info: Info,
        input: Annotated[
            CreateLogStreamInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> LogStreamPayload:
        stream, errors = await mutate(
            log_streams.create_log_stream(
                info.context.principal,
                str(input.organization_id) if input.organization_id else None,
                input.type,
                input.url,
                input.token,
                allow_private=info.context.settings.allow_private_webhooks,
                secret_key=info.context.settings.secret_key,
            )
        )
        return LogStreamPayload(
            log_stream=LogStream.from_model(stream) if stream else None, user_errors=errors
        )

    @strawberry.mutation(description="Delete a log stream. Requires `log_streams:write`.")
    async def delete_log_stream(
        self,
        info: Info,
        input: Annotated[
            LogStreamIdInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> LogStreamPayload:
        stream, errors = await mutate(
            log_streams.delete_log_stream(info.context.principal, str(input.log_stream_id))
        )
        return LogStreamPayload(
            log_stream=LogStream.from_model(stream) if stream else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Send one `log_stream.test` record now. Requires `log_streams:write`."
    )
    async def send_test_log_event(
        self,
        info: Info,
        input: Annotated[
            LogStreamIdInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SendTestLogEventPayload:
        settings = info.context.settings
        result, errors = await mutate(
            log_streams.send_test_log_event(
                info.context.principal,
                str(input.log_stream_id),
                allow_private=settings.allow_private_webhooks,
                http_timeout=settings.webhook_timeout_seconds,
                secret_key=settings.secret_key,
            )
        )
        if result is None:
            return SendTestLogEventPayload(
                log_stream=None, response_status=None, user_errors=errors
            )
        stream, status = result
        return SendTestLogEventPayload(
            log_stream=LogStream.from_model(stream), response_status=status, user_errors=[]
        )

    @strawberry.mutation(
        description="Change an endpoint's URL or event types, or re-enable it. "
        "Requires `webhooks:write`."
    )
    async def update_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            UpdateWebhookEndpointInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> WebhookEndpointPayload:
        endpoint, errors = await mutate(
            repair.update_webhook_endpoint(
                info.context.principal,
                str(input.webhook_endpoint_id),
                url=given(input.url),
                event_types=given(input.event_types),
                enabled=given(input.enabled),
                allow_private=info.context.settings.allow_private_webhooks,
            )
        )
        return WebhookEndpointPayload(
            webhook_endpoint=WebhookEndpoint.from_model(endpoint) if endpoint else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Try a failed delivery's event again now instead of after its backoff. "
        "Requires `webhooks:write` (`log_streams:write` for a log stream's delivery)."
    )
    async def retry_delivery(
        self,
        info: Info,
        input: Annotated[
            RetryDeliveryInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RetryDeliveryPayload:
        result, errors = await mutate(
            repair.retry_delivery(info.context.principal, str(input.delivery_id))
        )
        if result is None:
            return RetryDeliveryPayload(delivery=None, target=None, user_errors=errors)
        delivery, target = result
        shown: DeliveryTarget = (
            LogStream.from_model(target)
            if isinstance(target, models.LogStream)
            else WebhookEndpoint.from_model(target)
        )
        return RetryDeliveryPayload(
            delivery=Delivery.from_model(delivery), target=shown, user_errors=[]
        )

    @strawberry.mutation(
        description="Send an endpoint every matching event after a cursor again, in order "
        "(at least once, as always). Requires `webhooks:write`."
    )
    async def replay_events(
        self,
        info: Info,
        input: Annotated[
            ReplayEventsInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> WebhookEndpointPayload:
        endpoint, errors = await mutate(
            repair.replay_events(info.context.principal, str(input.endpoint_id), input.after)
        )
        return WebhookEndpointPayload(
            webhook_endpoint=WebhookEndpoint.from_model(endpoint) if endpoint else None,
            user_errors=errors,
        )
