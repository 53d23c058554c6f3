"""Directories (a customer's SCIM 2.0 directory) and the users and groups it provisions."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields, models

from gatehouse.models.base import TimestampedModel, prefixed_pk
from gatehouse.models.organization import Organization, Role
from gatehouse.models.user import Member, User


class DirectoryType(StrEnum):
    GENERIC_SCIM = "GENERIC_SCIM"
    OKTA = "OKTA"
    ENTRA = "ENTRA"
    ONELOGIN = "ONELOGIN"
    JUMPCLOUD = "JUMPCLOUD"
    GOOGLE = "GOOGLE"


class DirectoryState(StrEnum):
    LINKED = "LINKED"  # the token works; the IdP may push
    UNLINKED = "UNLINKED"  # paused: the token is refused


class DirectoryMode(StrEnum):
    LIVE = "LIVE"  # what the IdP pushes reaches members at once
    PREVIEW = "PREVIEW"  # mirrored; membership changes computed and held until applied


class DeprovisioningAction(StrEnum):
    DEACTIVATE = "DEACTIVATE"  # SCIM DELETE keeps the member, INACTIVE
    DELETE = "DELETE"  # SCIM DELETE removes a directory-made membership


class Directory(TimestampedModel):
    id = prefixed_pk("dir")
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="directories", on_delete=fields.CASCADE
    )
    organization_id: str
    name = fields.CharField(max_length=200)
    type = fields.CharEnumField(DirectoryType, default=DirectoryType.GENERIC_SCIM, max_length=16)
    state = fields.CharEnumField(DirectoryState, default=DirectoryState.LINKED, max_length=16)
    # SHA-256 of the bearer token; the token is shown once at creation or rotation.
    token_hash = fields.CharField(max_length=64, unique=True)
    token_prefix = fields.CharField(max_length=16)
    # During a rotation (rotateDirectoryToken): the token the IdP still sends, accepted until
    # the rotation is completed, cancelled, or `previous_token_expires_at` passes.
    previous_token_hash = fields.CharField(max_length=64, null=True, db_index=True)
    previous_token_prefix = fields.CharField(max_length=16, null=True)
    previous_token_expires_at = fields.DatetimeField(null=True)
    deprovisioning_action = fields.CharEnumField(
        DeprovisioningAction, default=DeprovisioningAction.DEACTIVATE, max_length=16
    )
    last_activity_at = fields.DatetimeField(null=True)
    mode = fields.CharEnumField(
        DirectoryMode, default=DirectoryMode.LIVE, db_default="LIVE", max_length=8
    )

    class Meta:
        table = "directories"


class DirectoryUser(TimestampedModel):
    id = prefixed_pk("diru")
    directory: fields.ForeignKeyRelation[Directory] = fields.ForeignKeyField(
        "models.Directory", related_name="users", on_delete=fields.CASCADE
    )
    directory_id: str
    # SCIM userName is caseExact=false (RFC 7643 §4.1.1): uniqueness on the lowercased copy.
    user_name = fields.CharField(max_length=320)
    user_name_lower = fields.CharField(max_length=320)
    external_id = fields.CharField(max_length=320, null=True, db_index=True)
    email = fields.CharField(max_length=320, null=True, db_index=True)  # primary, lowercased
    given_name = fields.CharField(max_length=200, null=True)
    family_name = fields.CharField(max_length=200, null=True)
    display_name = fields.CharField(max_length=320, null=True)
    active = fields.BooleanField(default=True)
    # The whole SCIM resource as the IdP sent it (core, enterprise and custom extensions),
    # without `id` and `meta`, which the server owns.
    resource: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    version = fields.IntField(default=1)  # meta.version / ETag
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="directory_users", null=True, on_delete=fields.SET_NULL
    )
    user_id: str | None
    member: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="directory_users", null=True, on_delete=fields.SET_NULL
    )
    member_id: str | None
    # Its address belongs to someone this directory cannot link to (a domain its organization
    # has not verified, and an existing account or another organization's domain): mirrored,
    # but no member until the person proves the address (resolvers/users/linking.py).
    awaiting_proof = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "directory_users"
        unique_together = (("directory", "user_name_lower"),)


class DirectoryGroup(TimestampedModel):
    id = prefixed_pk("dirg")
    directory: fields.ForeignKeyRelation[Directory] = fields.ForeignKeyField(
        "models.Directory", related_name="groups", on_delete=fields.CASCADE
    )
    directory_id: str
    display_name = fields.CharField(max_length=320)
    display_name_lower = fields.CharField(max_length=320)
    external_id = fields.CharField(max_length=320, null=True, db_index=True)
    # Group attributes other than members (which live in DirectoryGroupMember rows).
    resource: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    version = fields.IntField(default=1)

    memberships: fields.ReverseRelation[DirectoryGroupMember]

    class Meta:
        table = "directory_groups"
        unique_together = (("directory", "display_name_lower"),)


class DirectoryGroupMember(models.Model):
    id = fields.BigIntField(primary_key=True)
    group: fields.ForeignKeyRelation[DirectoryGroup] = fields.ForeignKeyField(
        "models.DirectoryGroup", related_name="memberships", on_delete=fields.CASCADE
    )
    group_id: str
    directory_user: fields.ForeignKeyRelation[DirectoryUser] = fields.ForeignKeyField(
        "models.DirectoryUser", related_name="group_memberships", on_delete=fields.CASCADE
    )
    directory_user_id: str
    # The member's `display` as the IdP sent it (echoed back; the userName when absent).
    display = fields.CharField(max_length=320, null=True)

    class Meta:
        table = "directory_group_members"
        unique_together = (("group", "directory_user"),)


class GroupRoleMapping(TimestampedModel):
    id = prefixed_pk("grm")
    directory: fields.ForeignKeyRelation[Directory] = fields.ForeignKeyField(
        "models.Directory", related_name="role_mappings", on_delete=fields.CASCADE
    )
    directory_id: str
    group: fields.ForeignKeyRelation[DirectoryGroup] = fields.ForeignKeyField(
        "models.DirectoryGroup", related_name="role_mappings", on_delete=fields.CASCADE
    )
    group_id: str
    role: fields.ForeignKeyRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="group_mappings", on_delete=fields.CASCADE
    )
    role_id: str
    # A member in several mapped groups gets the role of the highest priority.
    priority = fields.IntField(default=0)

    class Meta:
        table = "group_role_mappings"
        unique_together = (("directory", "group"),)
