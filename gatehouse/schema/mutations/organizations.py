"""Organization lifecycle and policy mutations."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from gatehouse import models
from gatehouse.resolvers import organizations as orgs
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.mutations.maybe import given
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.organization import AuthMethod, Organization


@strawberry.input(description="A new organization.")
class CreateOrganizationInput:
    name: str = strawberry.field(description="Display name, 1-200 characters.")
    external_id: str | None = strawberry.field(
        default=None, description="Your identifier for this customer, unique."
    )
    metadata: JSON | None = strawberry.field(default=None, description="A JSON object.")
    domains: list[str] | None = strawberry.field(
        default=None,
        description="Domains to claim (PENDING) at creation. A domain another organization "
        "verified refuses the whole creation (`DOMAIN_TAKEN`).",
    )


@strawberry.input(description="Changes to an organization; omitted fields stay as they are.")
class UpdateOrganizationInput:
    id: strawberry.ID = strawberry.field(description="The organization.")
    name: strawberry.Maybe[str] = strawberry.field(description="New display name.")
    external_id: strawberry.Maybe[str | None] = strawberry.field(
        description="New external ID; null clears it."
    )
    metadata: strawberry.Maybe[JSON | None] = strawberry.field(
        description="Replaces the metadata object; null clears it."
    )


@strawberry.input(description="The organization to delete.")
class DeleteOrganizationInput:
    id: strawberry.ID = strawberry.field(description="The organization.")


@strawberry.input(description="Policy changes; omitted fields stay as they are.")
class UpdateOrganizationPolicyInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    jit_provisioning: bool | None = strawberry.field(default=None, description="JIT on/off.")
    allowed_auth_methods: list[AuthMethod] | None = strawberry.field(
        default=None, description="How members may sign in: SSO, EMAIL_CODE, or both."
    )
    restrict_invitations_to_verified_domains: bool | None = strawberry.field(
        default=None, description="Invite only verified-domain emails."
    )
    require_sso: bool | None = strawberry.field(
        default=None,
        description="true: allowedAuthMethods [SSO]; false: both.",
        deprecation_reason="Use allowedAuthMethods; removed in the next release.",
    )
    join_by_verified_domain: bool | None = strawberry.field(
        default=None,
        description="true: every verified domain enrolls AUTOMATIC; false: NONE.",
        deprecation_reason="Use setDomainEnrollment per domain; removed in the next release.",
    )
    default_role_slug: str | None = strawberry.field(
        default=None, description="Slug of an existing role."
    )


@strawberry.type(description="Result of `createOrganization`.")
class CreateOrganizationPayload:
    organization: Organization | None = strawberry.field(description="The new organization.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `updateOrganization` and `updateOrganizationPolicy`.")
class UpdateOrganizationPayload:
    organization: Organization | None = strawberry.field(description="The organization.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `deleteOrganization`.")
class DeleteOrganizationPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="ID of the deleted one.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _org(model: models.Organization | None) -> Organization | None:
    return Organization.from_model(model) if model is not None else None


@strawberry.type
class OrganizationMutations:
    @strawberry.mutation(
        description="Create an organization with the built-in `admin` and `member` roles. "
        "Requires `organizations:manage` (operator keys)."
    )
    async def create_organization(
        self,
        info: Info,
        input: Annotated[
            CreateOrganizationInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> CreateOrganizationPayload:
        org, errors = await mutate(
            orgs.create_organization(
                info.context.principal,
                orgs.NewOrganization(
                    input.name,
                    input.external_id,
                    # JSON is NewType(object): clean_metadata refuses a non-object value.
                    cast("dict[str, Any] | None", input.metadata),
                    tuple(input.domains or ()),
                ),
            )
        )
        return CreateOrganizationPayload(organization=_org(org), user_errors=errors)

    @strawberry.mutation(
        description="Rename or re-tag an organization. Requires `organizations:write`."
    )
    async def update_organization(
        self,
        info: Info,
        input: Annotated[
            UpdateOrganizationInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> UpdateOrganizationPayload:
        org, errors = await mutate(
            orgs.update_organization(
                info.context.principal,
                str(input.id),
                name=given(input.name),
                external_id=given(input.external_id),
                metadata=given(input.metadata),
            )
        )
        return UpdateOrganizationPayload(organization=_org(org), user_errors=errors)

    @strawberry.mutation(
        description="Delete an organization and its memberships, roles and "
        "keys. Requires `organizations:manage` (operator keys)."
    )
    async def delete_organization(
        self,
        info: Info,
        input: Annotated[
            DeleteOrganizationInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DeleteOrganizationPayload:
        deleted, errors = await mutate(
            orgs.delete_organization(info.context.principal, str(input.id))
        )
        return DeleteOrganizationPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )

    @strawberry.mutation(description="Change how people get in. Requires `organizations:write`.")
    async def update_organization_policy(
        self,
        info: Info,
        input: Annotated[
            UpdateOrganizationPolicyInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> UpdateOrganizationPayload:
        methods = input.allowed_auth_methods
        change = orgs.PolicyChange(
            jit_provisioning=input.jit_provisioning,
            restrict_invitations_to_verified_domains=input.restrict_invitations_to_verified_domains,
            allowed_auth_methods=[m.value for m in methods] if methods is not None else None,
            default_role_slug=input.default_role_slug,
            require_sso=input.require_sso,
            join_by_verified_domain=input.join_by_verified_domain,
        )
        org, errors = await mutate(
            orgs.update_organization_policy(
                info.context.principal, str(input.organization_id), change
            )
        )
        return UpdateOrganizationPayload(organization=_org(org), user_errors=errors)
