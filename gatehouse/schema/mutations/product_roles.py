"""Product permissions, environment roles and their overrides, SSO group → role mappings."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gatehouse import models
from gatehouse.resolvers import environment_roles, product_permissions, roles
from gatehouse.resolvers.sso import group_roles
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.member import Role
from gatehouse.schema.types.product_roles import (
    ConnectionGroupRoleMapping,
    EnvironmentRole,
    ProductPermission,
)

InputArg = strawberry.argument(description="The mutation's input.")


def _value(maybe: Any) -> Any:
    # Neither field of these updates may be null: absent or null both leave it unchanged.
    return None if maybe is None else maybe.value


@strawberry.input(description="A new product permission.")
class CreatePermissionInput:
    slug: str = strawberry.field(
        description="`resource:action`, lowercase (`videos:create`); not one of Gatehouse's."
    )
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(default="", description="What it allows.")


@strawberry.input(description="Changes to a product permission; its slug stays.")
class UpdatePermissionInput:
    permission_id: strawberry.ID = strawberry.field(description="A `perm_…` ID.")
    name: strawberry.Maybe[str] = strawberry.field(description="New display name.")
    description: strawberry.Maybe[str] = strawberry.field(description="New description.")


@strawberry.input(description="The product permission to delete.")
class DeletePermissionInput:
    permission_id: strawberry.ID = strawberry.field(description="A `perm_…` ID.")


@strawberry.type(description="Result of a permission mutation.")
class PermissionPayload:
    permission: ProductPermission | None = strawberry.field(description="After the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `deletePermission`.")
class DeletePermissionPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted permission.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A new role for every organization.")
class CreateEnvironmentRoleInput:
    slug: str = strawberry.field(description="Lowercase identifier, the same everywhere.")
    name: str = strawberry.field(description="Display name.")
    permissions: list[str] = strawberry.field(
        description="Gatehouse organization permissions and product permissions."
    )


@strawberry.input(description="Changes to an environment role; omitted fields stay.")
class UpdateEnvironmentRoleInput:
    role_slug: str = strawberry.field(description="The environment role.")
    name: strawberry.Maybe[str] = strawberry.field(description="New display name, everywhere.")
    permissions: strawberry.Maybe[list[str]] = strawberry.field(
        description="Replaces its permissions in every organization that has not overridden "
        "them; `admin` always keeps every Gatehouse permission."
    )


@strawberry.input(description="An environment role.")
class EnvironmentRoleInput:
    role_slug: str = strawberry.field(description="The environment role.")


@strawberry.type(description="Result of an environment role mutation.")
class EnvironmentRolePayload:
    environment_role: EnvironmentRole | None = strawberry.field(description="After the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `deleteEnvironmentRole`.")
class DeleteEnvironmentRolePayload:
    deleted_slug: str | None = strawberry.field(description="The deleted role's slug.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="One organization's permissions for an environment role.")
class OverrideEnvironmentRoleInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    role_slug: str = strawberry.field(description="The environment role.")
    permissions: list[str] = strawberry.field(description="Its permissions in this organization.")


@strawberry.input(description="An organization's copy of an environment role.")
class ResetEnvironmentRoleInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    role_slug: str = strawberry.field(description="The environment role.")


@strawberry.type(description="Result of overriding or resetting an environment role.")
class OrganizationRolePayload:
    role: Role | None = strawberry.field(description="The organization's role after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Map an IdP group to a role on a connection, or remove it.")
class SetConnectionGroupRoleMappingInput:
    connection_id: strawberry.ID = strawberry.field(description="The connection.")
    group: str = strawberry.field(
        description="The group as the SAML attribute or OIDC claim carries it (name or ID)."
    )
    role_slug: str | None = strawberry.field(
        default=None, description="Role for the group's members; null removes the mapping."
    )
    priority: int = strawberry.field(
        default=0, description="0-1000000; the highest wins for people in several groups."
    )


@strawberry.type(description="Result of `setConnectionGroupRoleMapping`.")
class SetConnectionGroupRoleMappingPayload:
    mapping: ConnectionGroupRoleMapping | None = strawberry.field(
        description="The mapping; null when removed."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _permission(
    found: tuple[models.ProductPermission | None, list[UserError]],
) -> PermissionPayload:
    model, errors = found
    return PermissionPayload(
        permission=ProductPermission.from_model(model) if model else None, user_errors=errors
    )


def _environment_role(
    found: tuple[models.EnvironmentRole | None, list[UserError]],
) -> EnvironmentRolePayload:
    model, errors = found
    return EnvironmentRolePayload(
        environment_role=EnvironmentRole.from_model(model) if model else None, user_errors=errors
    )


def _role(found: tuple[models.Role | None, list[UserError]]) -> OrganizationRolePayload:
    model, errors = found
    return OrganizationRolePayload(
        role=Role.from_model(model) if model else None, user_errors=errors
    )


@strawberry.type
class ProductRoleMutations:
    @strawberry.mutation(
        description="Define a product permission for every organization. Requires "
        "`environment:manage` (operator keys)."
    )
    async def create_permission(
        self, info: Info, input: Annotated[CreatePermissionInput, InputArg]
    ) -> PermissionPayload:
        return _permission(
            await mutate(
                product_permissions.create_permission(
                    info.context.principal, input.slug, input.name, input.description
                )
            )
        )

    @strawberry.mutation(
        description="Rename or describe a product permission. Requires `environment:manage`."
    )
    async def update_permission(
        self, info: Info, input: Annotated[UpdatePermissionInput, InputArg]
    ) -> PermissionPayload:
        return _permission(
            await mutate(
                product_permissions.update_permission(
                    info.context.principal,
                    str(input.permission_id),
                    name=_value(input.name),
                    description=_value(input.description),
                )
            )
        )

    @strawberry.mutation(
        description="Delete a product permission no role holds (else PERMISSION_IN_USE). "
        "Requires `environment:manage`."
    )
    async def delete_permission(
        self, info: Info, input: Annotated[DeletePermissionInput, InputArg]
    ) -> DeletePermissionPayload:
        deleted, errors = await mutate(
            product_permissions.delete_permission(info.context.principal, str(input.permission_id))
        )
        return DeletePermissionPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Create a role in every organization, existing and future. Requires "
        "`environment:manage`."
    )
    async def create_environment_role(
        self, info: Info, input: Annotated[CreateEnvironmentRoleInput, InputArg]
    ) -> EnvironmentRolePayload:
        return _environment_role(
            await mutate(
                environment_roles.create_environment_role(
                    info.context.principal, input.slug, input.name, input.permissions
                )
            )
        )

    @strawberry.mutation(
        description="Change an environment role: every organization that has not overridden "
        "it changes at once (one `environment_role.updated` event). Requires "
        "`environment:manage`."
    )
    async def update_environment_role(
        self, info: Info, input: Annotated[UpdateEnvironmentRoleInput, InputArg]
    ) -> EnvironmentRolePayload:
        return _environment_role(
            await mutate(
                environment_roles.update_environment_role(
                    info.context.principal,
                    input.role_slug,
                    name=_value(input.name),
                    permissions=_value(input.permissions),
                )
            )
        )

    @strawberry.mutation(
        description="Make this the role newcomers get in every organization that did not "
        "choose its own default. Requires `environment:manage`."
    )
    async def set_default_environment_role(
        self, info: Info, input: Annotated[EnvironmentRoleInput, InputArg]
    ) -> EnvironmentRolePayload:
        return _environment_role(
            await mutate(
                environment_roles.set_default_environment_role(
                    info.context.principal, input.role_slug
                )
            )
        )

    @strawberry.mutation(
        description="Delete an environment role nobody uses, from every organization. "
        "Requires `environment:manage`."
    )
    async def delete_environment_role(
        self, info: Info, input: Annotated[EnvironmentRoleInput, InputArg]
    ) -> DeleteEnvironmentRolePayload:
        deleted, errors = await mutate(
            environment_roles.delete_environment_role(info.context.principal, input.role_slug)
        )
        return DeleteEnvironmentRolePayload(deleted_slug=deleted, user_errors=errors)

    @strawberry.mutation(
        description="Set one organization's permissions for an environment role; the "
        "environment's later changes leave them alone. Requires `roles:write`."
    )
    async def override_environment_role(
        self, info: Info, input: Annotated[OverrideEnvironmentRoleInput, InputArg]
    ) -> OrganizationRolePayload:
        return _role(
            await mutate(
                roles.override_environment_role(
                    info.context.principal,
                    str(input.organization_id),
                    input.role_slug,
                    input.permissions,
                )
            )
        )

    @strawberry.mutation(
        description="Give an organization the environment's permissions for the role again. "
        "Requires `roles:write`."
    )
    async def reset_environment_role(
        self, info: Info, input: Annotated[ResetEnvironmentRoleInput, InputArg]
    ) -> OrganizationRolePayload:
        return _role(
            await mutate(
                roles.reset_environment_role(
                    info.context.principal, str(input.organization_id), input.role_slug
                )
            )
        )

    @strawberry.mutation(
        description="Map an IdP group to a role on an SSO connection (from each member's "
        "next sign-in), or remove the mapping. Requires `connections:write`."
    )
    async def set_connection_group_role_mapping(
        self, info: Info, input: Annotated[SetConnectionGroupRoleMappingInput, InputArg]
    ) -> SetConnectionGroupRoleMappingPayload:
        mapping, errors = await mutate(
            group_roles.set_connection_group_role_mapping(
                info.context.principal,
                str(input.connection_id),
                input.group,
                input.role_slug,
                input.priority,
            )
        )
        return SetConnectionGroupRoleMappingPayload(
            mapping=ConnectionGroupRoleMapping.from_model(mapping) if mapping else None,
            user_errors=errors,
        )
