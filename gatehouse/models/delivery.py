"""Delivery targets (webhook endpoints, log streams) and their delivery attempts.

Each target keeps its own cursor into the outbox (an event position): the worker sends the
target's next event and advances the cursor only on a 2xx, so delivery is in order and at
least once per target.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk


class TargetState(StrEnum):
    ACTIVE = "ACTIVE"
    FAILING = "FAILING"  # retried for three days without success; still retried hourly
    DISABLED = "DISABLED"  # the receiver answered 410 Gone


class LogStreamType(StrEnum):
    HTTPS = "HTTPS"
    DATADOG = "DATADOG"
    SPLUNK_HEC = "SPLUNK_HEC"


class DeliveryTarget(TimestampedModel):
    # None: an operator's endpoint that receives every organization's events.
    organization_id = fields.CharField(max_length=40, null=True, db_index=True)
    url = fields.CharField(max_length=2048)
    state = fields.CharEnumField(TargetState, default=TargetState.ACTIVE)
    # The position of the last event delivered (or skipped as not matching).
    cursor = fields.BigIntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)  # failed attempts on the current event
    failing_since = fields.DatetimeField(null=True)

    class Meta:
        abstract = True


class WebhookEndpoint(DeliveryTarget):
    id = prefixed_pk("whe")
    event_types: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # The signing secret must be usable to sign, so it cannot be hashed: it is stored
    # encrypted with the server key (events/secrets.py), shown once, never returned again.
    secret = fields.TextField()
    previous_secret = fields.TextField(null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_endpoints"


class LogStream(DeliveryTarget):
    id = prefixed_pk("ls")
    type = fields.CharEnumField(LogStreamType)
    token = fields.TextField(null=True)  # encrypted like the webhook secret

    class Meta:
        table = "log_streams"


class Delivery(TimestampedModel):
    """One attempt to deliver one event to one target."""

    id = prefixed_pk("dlv")
    target_id = fields.CharField(max_length=40, db_index=True)  # `whe_…` or `ls_…`
    event_id = fields.CharField(max_length=40)
    event_position = fields.BigIntField()
    succeeded = fields.BooleanField()
    attempt = fields.IntField()
    response_status = fields.IntField(null=True)
    error = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "deliveries"
