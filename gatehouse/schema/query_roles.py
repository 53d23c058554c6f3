"""Query fields for roles the product uses: the catalogs, and one member's permission."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gatehouse.resolvers import environment_roles, product_permissions, roles
from gatehouse.schema.context import Info
from gatehouse.schema.errors import query
from gatehouse.schema.types.product_roles import EnvironmentRole, ProductPermission


@strawberry.type
class RoleQueries:
    @strawberry.field(
        description="The product permissions defined for every organization, by slug. "
        "Requires `roles:read`."
    )
    async def permissions(self, info: Info) -> list[ProductPermission]:
        found = await query(product_permissions.list_permissions(info.context.principal))
        return [ProductPermission.from_model(p) for p in found]

    @strawberry.field(
        description="The roles every organization has (`admin`, `member` and the operator's), "
        "oldest first. Requires `roles:read`."
    )
    async def environment_roles(self, info: Info) -> list[EnvironmentRole]:
        found = await query(environment_roles.list_environment_roles(info.context.principal))
        return [EnvironmentRole.from_model(r) for r in found]

    @strawberry.field(
        description="Whether the member is ACTIVE and their role holds the permission (product "
        "or Gatehouse), for products that keep no access token. False for a member outside "
        "the caller's scope. Requires `members:read`."
    )
    async def check_permission(
        self,
        info: Info,
        member_id: Annotated[strawberry.ID, strawberry.argument(description="An `om_…` ID.")],
        permission: Annotated[str, strawberry.argument(description="e.g. `videos:create`.")],
    ) -> bool:
        return await query(
            roles.check_permission(info.context.principal, str(member_id), permission)
        )
