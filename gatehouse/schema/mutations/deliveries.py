"""Webhook endpoint and log stream mutations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import strawberry

from gatehouse.resolvers.events import log_streams, webhooks
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.delivery import LogStream, LogStreamType, WebhookEndpoint


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
