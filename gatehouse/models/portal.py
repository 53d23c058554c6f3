"""Admin Portal: single-use setup links, and the browser sessions they start."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.organization import Organization


class PortalIntent(StrEnum):
    """What a setup link lets the customer's admin configure."""

    SSO = "SSO"
    DSYNC = "DSYNC"
    DOMAIN_VERIFICATION = "DOMAIN_VERIFICATION"
    LOG_STREAMS = "LOG_STREAMS"
    # Renew the IdP's signing certificate of an SSO connection, the old one working meanwhile.
    CERTIFICATE_RENEWAL = "CERTIFICATE_RENEWAL"
    AUDIT_LOGS = "AUDIT_LOGS"


class PortalLink(TimestampedModel):
    id = prefixed_pk("plink")
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="portal_links", on_delete=fields.CASCADE
    )
    organization_id: str
    token_hash = fields.CharField(max_length=64, unique=True)
    intents: fields.JSONField[list[str]] = fields.JSONField(default=list)
    return_url = fields.CharField(max_length=2000, null=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_by_key_id = fields.CharField(max_length=40, null=True)

    class Meta:
        table = "portal_links"


class PortalSession(TimestampedModel):
    """The cookie's token is stored only as a hash. The CSRF token is not stored at all: it
    is derived from the cookie token (see auth/portal.py), so nothing at rest can forge it."""

    id = prefixed_pk("psess")
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="portal_sessions", on_delete=fields.CASCADE
    )
    organization_id: str
    link: fields.ForeignKeyNullableRelation[PortalLink] = fields.ForeignKeyField(
        "models.PortalLink", related_name="sessions", null=True, on_delete=fields.SET_NULL
    )
    link_id: str | None
    token_hash = fields.CharField(max_length=64, unique=True)
    intents: fields.JSONField[list[str]] = fields.JSONField(default=list)
    return_url = fields.CharField(max_length=2000, null=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "portal_sessions"
