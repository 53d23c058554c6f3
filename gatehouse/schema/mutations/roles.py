"""Role mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gatehouse import models
from gatehouse.resolvers import roles
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.mutations.maybe import given
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.member import Role


@strawberry.input(description="A new custom role.")
class CreateRoleInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    slug: str = strawberry.field(description="Lowercase identifier, unique in the organization.")
    name: str = strawberry.field(description="Display name.")
    permissions: list[str] = strawberry.field(description="Permission strings it grants.")


@strawberry.input(description="Changes to a role; omitted fields stay as they are.")
class UpdateRoleInput:
    role_id: strawberry.ID = strawberry.field(description="The role.")
    name: strawberry.Maybe[str] = strawberry.field(description="New display name.")
    permissions: strawberry.Maybe[list[str]] = strawberry.field(
        description="Replaces the permission list (not for built-in roles)."
    )


@strawberry.input(description="The role to delete.")
class DeleteRoleInput:
    role_id: strawberry.ID = strawberry.field(description="The role.")


@strawberry.type(description="Result of a role mutation.")
class RolePayload:
    role: Role | None = strawberry.field(description="The role after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `deleteRole`.")
class DeleteRolePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="ID of the deleted role.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _payload(model: models.Role | None, errors: list[UserError]) -> RolePayload:
    role = Role.from_model(model) if model is not None else None
    return RolePayload(role=role, user_errors=errors)


@strawberry.type
class RoleMutations:
    @strawberry.mutation(description="Create a custom role. Requires `roles:write`.")
    async def create_role(
        self,
        info: Info,
        input: Annotated[CreateRoleInput, strawberry.argument(description="The mutation's input.")],
    ) -> RolePayload:
        return _payload(
            *await mutate(
                roles.create_role(
                    info.context.principal,
                    str(input.organization_id),
                    input.slug,
                    input.name,
                    input.permissions,
                )
            )
        )

    @strawberry.mutation(
        description="Rename a role or change its permissions. Requires `roles:write`."
    )
    async def update_role(
        self,
        info: Info,
        input: Annotated[UpdateRoleInput, strawberry.argument(description="The mutation's input.")],
    ) -> RolePayload:
        return _payload(
            *await mutate(
                roles.update_role(
                    info.context.principal,
                    str(input.role_id),
                    name=given(input.name),
                    permissions=given(input.permissions),
                )
            )
        )

    @strawberry.mutation(description="Delete an unused custom role. Requires `roles:write`.")
    async def delete_role(
        self,
        info: Info,
        input: Annotated[DeleteRoleInput, strawberry.argument(description="The mutation's input.")],
    ) -> DeleteRolePayload:
        deleted, errors = await mutate(
            roles.delete_role(info.context.principal, str(input.role_id))
        )
        return DeleteRolePayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )
