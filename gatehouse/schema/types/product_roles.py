"""Product permissions, environment roles and SSO group → role mappings."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gatehouse import models
from gatehouse.schema.context import Info
from gatehouse.schema.loaders import required
from gatehouse.schema.types.member import Role


@strawberry.type(
    name="Permission",
    description="A permission of the operator's product (`videos:create`), defined once for "
    "every organization. Roles hold these beside Gatehouse's own API permissions; the access "
    "token's `permissions` claim carries both.",
)
class ProductPermission:
    id: strawberry.ID = strawberry.field(description="A `perm_…` ID.")
    slug: str = strawberry.field(description="What roles and tokens carry; never changes.")
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(description="What it allows, for admins.")
    created_at: datetime = strawberry.field(description="Creation time (UTC).")

    @classmethod
    def from_model(cls, permission: models.ProductPermission) -> ProductPermission:
        return cls(
            id=strawberry.ID(permission.id),
            slug=permission.slug,
            name=permission.name,
            description=permission.description,
            created_at=permission.created_at,
        )


@strawberry.type(
    description="A role every organization has, created before or after it. An organization "
    "may override its permissions (`overrideEnvironmentRole`); the others follow every change."
)
class EnvironmentRole:
    id: strawberry.ID = strawberry.field(description="An `envrole_…` ID.")
    slug: str = strawberry.field(description="The role's slug in every organization.")
    name: str = strawberry.field(description="Display name.")
    permissions: list[str] = strawberry.field(description="Permission strings it grants.")
    is_default: bool = strawberry.field(
        description="Newcomers get it in organizations that did not choose their own default."
    )
    built_in: bool = strawberry.field(description="`admin` and `member` cannot be deleted.")

    @classmethod
    def from_model(cls, role: models.EnvironmentRole) -> EnvironmentRole:
        return cls(
            id=strawberry.ID(role.id),
            slug=role.slug,
            name=role.name,
            permissions=list(role.permissions),
            is_default=role.is_default,
            built_in=role.slug in ("admin", "member"),
        )


@strawberry.type(
    description="Members signing in through the connection with `group` in their groups get "
    "`role`; the highest priority wins. Requires `connections:read`."
)
class ConnectionGroupRoleMapping:
    group: str = strawberry.field(description="The group as the IdP sends it.")
    priority: int = strawberry.field(description="Higher wins when a person is in several.")
    _model: strawberry.Private[models.ConnectionGroupRoleMapping]

    @classmethod
    def from_model(cls, mapping: models.ConnectionGroupRoleMapping) -> ConnectionGroupRoleMapping:
        return cls(group=mapping.group, priority=mapping.priority, _model=mapping)

    @strawberry.field(description="The role its members get.")
    async def role(self, info: Info) -> Role:
        role = await info.context.loaders.role.load(self._model.role_id)
        return Role.from_model(required(role))
