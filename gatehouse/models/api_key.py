"""API keys: environment-wide (operator) or scoped to one organization."""

from __future__ import annotations

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.organization import Organization


class ApiKey(TimestampedModel):
    id = prefixed_pk("key")
    name = fields.CharField(max_length=100)
    # None: an operator key for the whole deployment.
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="api_keys", null=True, on_delete=fields.CASCADE
    )
    organization_id: str | None
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # SHA-256 of the secret; the secret itself is shown once and never stored.
    secret_hash = fields.CharField(max_length=64, unique=True)
    # The first characters of the secret, so a person can tell keys apart in a list.
    display_prefix = fields.CharField(max_length=16)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_keys"
