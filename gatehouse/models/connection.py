"""SSO connections: one organization's SAML or OIDC identity provider."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.organization import Organization, Role


class ConnectionType(StrEnum):
    SAML = "SAML"
    OIDC = "OIDC"


class ConnectionState(StrEnum):
    DRAFT = "DRAFT"
    VALIDATING = "VALIDATING"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class Connection(TimestampedModel):
    id = prefixed_pk("conn")
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="connections", on_delete=fields.CASCADE
    )
    organization_id: str
    name = fields.CharField(max_length=200)
    type = fields.CharEnumField(ConnectionType, max_length=8)
    state = fields.CharEnumField(ConnectionState, default=ConnectionState.DRAFT, max_length=16)

    # SAML: the IdP's side. Several certificates allow rotation without downtime.
    saml_idp_entity_id = fields.CharField(max_length=1024, null=True)
    saml_idp_sso_url = fields.CharField(max_length=2048, null=True)
    saml_idp_certificates: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    saml_name_id_format = fields.CharField(max_length=256, null=True)
    saml_attribute_mapping: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    saml_metadata_url = fields.CharField(max_length=2048, null=True)
    # When the metadata URL was last read (or claimed for reading) by an admin or the daily job.
    saml_metadata_refreshed_at = fields.DatetimeField(null=True)
    saml_allow_idp_initiated = fields.BooleanField(default=False)
    # SHA-1 signatures are refused unless a connection explicitly opts in (legacy IdPs).
    saml_allow_sha1 = fields.BooleanField(default=False)
    # The SP's own key pairs (SAML encryption and signed AuthnRequests), one set per connection:
    # [{"id", "certificate" (base64 DER), "private_key" (encrypted with the server key),
    # "not_after", "created_at"}]. The first signs; every one decrypts (rotation overlap).
    saml_sp_keys: fields.JSONField[list[Any]] = fields.JSONField(default=list, null=True)
    saml_sign_authn_requests = fields.BooleanField(default=False, db_default=False)
    # Expiry notices already sent, by certificate SHA-256: {"<fp>": ["90", "30", ...]}.
    saml_certificate_notices: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, null=True
    )
    # JIT provisioning on this connection; it happens only where the policy allows it too.
    jit_provisioning = fields.BooleanField(default=True, db_default=True)
    # The SAML attribute or OIDC claim that lists the person's groups; null: `groups` (and, for
    # SAML, the usual attribute names).
    groups_claim = fields.CharField(max_length=256, null=True)

    # OIDC: the client registered at the IdP. The secret is encrypted with the server key.
    oidc_issuer = fields.CharField(max_length=2048, null=True)
    oidc_client_id = fields.CharField(max_length=512, null=True)
    oidc_client_secret_encrypted = fields.TextField(null=True)
    oidc_scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    oidc_discovery: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "connections"


class ConnectionGroupRoleMapping(TimestampedModel):
    """An IdP group (as the SAML attribute or OIDC claim names it) → a role, evaluated at every
    sign-in through the connection. Same rule as the directory's: highest priority wins."""

    id = prefixed_pk("cgrm")
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "models.Connection", related_name="group_role_mappings", on_delete=fields.CASCADE
    )
    connection_id: str
    group = fields.CharField(max_length=256)
    role: fields.ForeignKeyRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="connection_group_mappings", on_delete=fields.CASCADE
    )
    role_id: str
    priority = fields.IntField(default=0)

    class Meta:
        table = "connection_group_role_mappings"
        unique_together = (("connection", "group"),)
