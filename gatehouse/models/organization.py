"""Organizations (the customer tenants) and their roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields

from gatehouse.models.base import TimestampedModel, prefixed_pk

if TYPE_CHECKING:
    from gatehouse.models.user import Member


class Organization(TimestampedModel):
    id = prefixed_pk("org")
    name = fields.CharField(max_length=200)
    # Lowercased copy of the name: case-insensitive search without LOWER() on every row.
    name_search = fields.CharField(max_length=200, db_index=True)
    external_id = fields.CharField(max_length=200, null=True, unique=True)
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    # Policy: how people get in. Kept on the organization row (one policy per organization).
    jit_provisioning = fields.BooleanField(default=False)
    restrict_invitations_to_verified_domains = fields.BooleanField(default=False)
    # How members may prove who they are (`allowed_auth_methods`): through SSO, and by an
    # emailed code (an accepted invitation counts as one: it proves the email). Enrollment by
    # domain is per domain (Domain.enrollment).
    sso_allowed = fields.BooleanField(default=True, db_default=True)
    email_code_allowed = fields.BooleanField(default=True, db_default=True)
    default_role_slug = fields.CharField(max_length=64, default="member")
    # The default role follows the environment's until the organization picks its own.
    default_role_inherited = fields.BooleanField(default=True, db_default=True)

    members: fields.ReverseRelation[Member]
    roles: fields.ReverseRelation[Role]

    class Meta:
        table = "organizations"

    @property
    def allowed_auth_methods(self) -> list[str]:
        return [
            method
            for method, allowed in (
                ("SSO", self.sso_allowed),
                ("EMAIL_CODE", self.email_code_allowed),
            )
            if allowed
        ]


class Role(TimestampedModel):
    id = prefixed_pk("role")
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="roles", on_delete=fields.CASCADE
    )
    organization_id: str
    slug = fields.CharField(max_length=64)
    name = fields.CharField(max_length=100)
    permissions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # `admin` and `member` come with every organization and cannot be deleted.
    system = fields.BooleanField(default=False)
    # This organization's copy of the environment role with the same slug: its name and (unless
    # `overridden`) its permissions are the environment's, written to every copy at once.
    environment_role = fields.BooleanField(default=False, db_default=False)
    overridden = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "roles"
        unique_together = (("organization", "slug"),)
