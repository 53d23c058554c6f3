"""API key mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gatehouse.resolvers import api_keys
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.types.api_key import ApiKey
from gatehouse.schema.types.common import UserError


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="A label, 1-100 characters.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Scope the key to one organization; omit for an operator key (operators "
        "only). Scoped callers always get a key for their own organization.",
    )
    scopes: list[str] | None = strawberry.field(
        default=None, description="Permissions for an organization key; all of yours if omitted."
    )


@strawberry.input(description="The key to revoke.")
class RevokeApiKeyInput:
    api_key_id: strawberry.ID = strawberry.field(description="The key.")


@strawberry.type(description="Result of `createApiKey`.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The key's record.")
    secret: str | None = strawberry.field(
        description="The secret, shown this once: store it now, it cannot be read again."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `revokeApiKey`.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The revoked key.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(description="Create an API key. Requires `api_keys:write`.")
    async def create_api_key(
        self,
        info: Info,
        input: Annotated[
            CreateApiKeyInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> CreateApiKeyPayload:
        result, errors = await mutate(
            api_keys.create_api_key(
                info.context.principal,
                input.name,
                str(input.organization_id) if input.organization_id else None,
                input.scopes,
            )
        )
        if result is None:
            return CreateApiKeyPayload(api_key=None, secret=None, user_errors=errors)
        key, secret = result
        return CreateApiKeyPayload(api_key=ApiKey.from_model(key), secret=secret, user_errors=[])

    @strawberry.mutation(description="Revoke an API key at once. Requires `api_keys:write`.")
    async def revoke_api_key(
        self,
        info: Info,
        input: Annotated[
            RevokeApiKeyInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RevokeApiKeyPayload:
        key, errors = await mutate(
            api_keys.revoke_api_key(info.context.principal, str(input.api_key_id))
        )
        return RevokeApiKeyPayload(
            api_key=ApiKey.from_model(key) if key else None, user_errors=errors
        )
