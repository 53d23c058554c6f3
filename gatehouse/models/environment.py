"""What the operator defines once for every organization: product permissions and roles."""

from __future__ import annotations

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk


class ProductPermission(TimestampedModel):
    """A permission of the operator's own product (`videos:create`), which roles may hold
    beside Gatehouse's built-in API permissions."""

    id = prefixed_pk("perm")
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=500, default="")

    class Meta:
        table = "product_permissions"


class EnvironmentRole(TimestampedModel):
    """A role every organization has. Each organization holds a copy (`Role` with
    `environment_role`), so members, invitations and tokens keep pointing at one row."""

    id = prefixed_pk("envrole")
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=100)
    permissions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # The role new members get in organizations that did not choose their own default.
    is_default = fields.BooleanField(default=False)

    class Meta:
        table = "environment_roles"
