"""Users (one global identity per email) and their memberships in organizations."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.organization import Organization, Role


class MemberStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    PENDING = "PENDING"


class MemberSource(StrEnum):
    MANUAL = "MANUAL"
    INVITATION = "INVITATION"
    JIT = "JIT"
    DOMAIN = "DOMAIN"
    DIRECTORY = "DIRECTORY"


NAME_LENGTH = 100  # first_name, last_name: IdPs may send longer names, which are cut to fit


def fitted_name(value: str | None) -> str | None:
    """A name as a User holds it: None for an empty one, else its first NAME_LENGTH chars."""
    return value[:NAME_LENGTH] if value else None


class User(TimestampedModel):
    id = prefixed_pk("user")
    email = fields.CharField(max_length=320, unique=True)  # normalized: trimmed, lowercased
    email_verified = fields.BooleanField(default=False)
    first_name = fields.CharField(max_length=NAME_LENGTH, null=True)
    last_name = fields.CharField(max_length=NAME_LENGTH, null=True)
    # The operator's own ID for the person. Unique across the deployment: the unique index is
    # made by migration 0013 (SQLite cannot add a UNIQUE column in place).
    external_id = fields.CharField(max_length=200, null=True)
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(null=True)
    # A new address a directory or IdP sent that another user holds: kept here, not applied,
    # until the operator merges the two or the other user lets it go (user.email_conflict).
    pending_email = fields.CharField(max_length=320, null=True)

    memberships: fields.ReverseRelation[Member]

    class Meta:
        table = "users"


class Member(TimestampedModel):
    id = prefixed_pk("om")
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="members", on_delete=fields.CASCADE
    )
    organization_id: str
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    user_id: str
    role: fields.ForeignKeyRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="members", on_delete=fields.RESTRICT
    )
    role_id: str
    status = fields.CharEnumField(MemberStatus, default=MemberStatus.ACTIVE, max_length=16)
    source = fields.CharEnumField(MemberSource, default=MemberSource.MANUAL, max_length=16)
    # Break-glass: an admin who may sign in by email code where the policy requires SSO.
    may_bypass_sso = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "members"
        unique_together = (("organization", "user"),)
