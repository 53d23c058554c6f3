"""SSO sign-in state: pending requests, linked identities, one-time codes, the replay cache.

Everything a sign-in needs between two HTTP requests lives here, in the database, so any
process behind the load balancer can finish a flow another one started.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields, models

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.connection import Connection
from gatehouse.models.session import AuthenticationMethod
from gatehouse.models.user import Member, User


class SsoRequest(models.Model):
    """An SP-initiated sign-in in flight: the SAML AuthnRequest ID or the OIDC state."""

    id = prefixed_pk("ssor")
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "models.Connection", related_name="sso_requests", on_delete=fields.CASCADE
    )
    connection_id: str
    # SAML: the AuthnRequest ID (matched against InResponseTo). OIDC: SHA-256 of `state`.
    lookup = fields.CharField(max_length=128, unique=True)
    redirect_uri = fields.CharField(max_length=2048)
    client_state = fields.CharField(max_length=1024, null=True)
    # OIDC only: the nonce and PKCE verifier never leave the server.
    nonce = fields.CharField(max_length=128, null=True)
    code_verifier = fields.CharField(max_length=128, null=True)
    expires_at = fields.DatetimeField()
    consumed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sso_requests"


class LinkedIdentity(TimestampedModel):
    """A user's identity at one connection's IdP, keyed on the IdP's stable subject."""

    id = prefixed_pk("idn")
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "models.Connection", related_name="identities", on_delete=fields.CASCADE
    )
    connection_id: str
    subject = fields.CharField(max_length=512)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="identities", on_delete=fields.CASCADE
    )
    user_id: str
    last_sign_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "linked_identities"
        unique_together = (("connection", "subject"),)


class SsoCode(models.Model):
    """The one-time code handed to the operator's redirect URI, exchanged at POST /sso/token:
    after an SSO sign-in, and after the hosted invitation and sign-in code pages."""

    id = prefixed_pk("ssoc")
    code_hash = fields.CharField(max_length=64, unique=True)
    # A database default too: rows from before the column are SSO codes.
    authentication_method = fields.CharEnumField(
        AuthenticationMethod,
        max_length=16,
        default=AuthenticationMethod.SSO,
        db_default=AuthenticationMethod.SSO,
    )
    connection: fields.ForeignKeyNullableRelation[Connection] = fields.ForeignKeyField(
        "models.Connection", related_name="codes", on_delete=fields.CASCADE, null=True
    )
    connection_id: str | None
    # The membership signed into; or only the person, who still chooses an organization
    # (the sign-in code page, for a person in several).
    member: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="sso_codes", on_delete=fields.CASCADE, null=True
    )
    member_id: str | None
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sign_in_handoffs", on_delete=fields.CASCADE, null=True
    )
    user_id: str | None
    profile: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sso_codes"


class SamlAssertionId(models.Model):
    """Replay cache: each assertion ID is accepted once, until it would have expired anyway."""

    id = prefixed_pk("said")
    connection_id = fields.CharField(max_length=40)
    assertion_id = fields.CharField(max_length=256)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "saml_assertion_ids"
        unique_together = (("connection_id", "assertion_id"),)
