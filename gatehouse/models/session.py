"""A person's sessions and what proves them: rotating refresh tokens, the keys that sign access
tokens, emailed sign-in codes, and sign-ins waiting for the person to choose an organization.

A session is one sign-in of one person, currently in one organization (its `member`); it ends
when it expires or is revoked, and every refresh token of it dies with it. Access tokens are
JWTs signed with a `SigningKey` and are not stored at all. Every secret here is stored as a
hash (refresh tokens, pending tokens) or an HMAC under the server key (6-digit codes).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields, models

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.user import Member, User


class AuthenticationMethod(StrEnum):
    SSO = "SSO"
    EMAIL_CODE = "EMAIL_CODE"
    INVITATION = "INVITATION"


class Session(TimestampedModel):
    id = prefixed_pk("sess")
    # The membership the session is in now; switching organization moves it.
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="sessions", on_delete=fields.CASCADE
    )
    member_id: str
    # Only sessions from before access tokens: their opaque `sess_…` bearer token.
    token_hash = fields.CharField(max_length=64, unique=True, null=True)
    authentication_method = fields.CharEnumField(AuthenticationMethod, max_length=16, null=True)
    # The SSO connection that signed the person in, for SSO sessions.
    connection_id = fields.CharField(max_length=40, null=True)
    ip_address = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=512, null=True)
    expires_at = fields.DatetimeField()
    last_refreshed_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "sessions"


class RefreshToken(models.Model):
    """Single use: refreshing marks it used and issues the next one (RFC 9700 §4.14)."""

    id = prefixed_pk("rt")
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "models.Session", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    session_id: str
    token_hash = fields.CharField(max_length=64, unique=True)
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_tokens"


class SigningKey(models.Model):
    """An ES256 key pair, whose id is the JWT `kid`. The private half is encrypted at rest."""

    id = prefixed_pk("jwk")
    algorithm = fields.CharField(max_length=16)
    public_jwk: fields.JSONField[dict[str, Any]] = fields.JSONField()
    private_key = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    # Set when a newer key takes over signing; published until its last token has expired.
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "signing_keys"


class SignInCode(models.Model):
    """A 6-digit code mailed to an address: 10 minutes, one use, five tries."""

    id = prefixed_pk("sic")
    email = fields.CharField(max_length=320, db_index=True)
    code_hash = fields.CharField(max_length=64)
    # Where the hosted code page sends the person on (allow-listed when the code was sent).
    redirect_uri = fields.CharField(max_length=2048, null=True)
    ip_address = fields.CharField(max_length=64, null=True, db_index=True)
    user_agent = fields.CharField(max_length=512, null=True)
    attempts = fields.IntField(default=0)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "sign_in_codes"


class PendingAuthentication(models.Model):
    """A proven sign-in that waits for the person to choose one of their organizations."""

    id = prefixed_pk("pauth")
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="pending_authentications", on_delete=fields.CASCADE
    )
    user_id: str
    authentication_method = fields.CharEnumField(AuthenticationMethod, max_length=16)
    connection_id = fields.CharField(max_length=40, null=True)
    ip_address = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=512, null=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pending_authentications"
